/**
 * findCycle and topoOrder on their own, and the dependency issues compilePlan reports once each,
 * also when a task id is repeated in a later phase.
 */
import { validatePlanObject } from '@shoal/protocol';
import { issuesOf } from './graph.spec-support.js';
import { compilePlan, findCycle, topoOrder } from './graph.js';

const compile = (plan: Record<string, unknown>) => {
  const v = validatePlanObject(plan);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return compilePlan(v.value);
};
const task = (id: string, extra: Record<string, unknown> = {}) => ({ id, team: 'fe', role: id, command: ['true'], ...extra });

describe('findCycle', () => {
  it('finds none when a later node depends on one already fully explored', () => {
    const edges: Record<string, string[]> = { a: ['b'], b: [], c: ['a'] };
    expect(findCycle(['a', 'b', 'c'], (n) => edges[n] ?? [])).toBeUndefined();
  });

  it('still finds a cycle behind the second dependency of a node', () => {
    const edges: Record<string, string[]> = { a: ['b', 'c'], b: [], c: ['d'], d: ['c'] };
    expect(findCycle(['a', 'b', 'c', 'd'], (n) => edges[n] ?? [])).toEqual(['c', 'd', 'c']);
  });
});

describe('topoOrder', () => {
  it('leaves out a node whose dependency is not in the list, without throwing', () => {
    const edges: Record<string, string[]> = { a: [], b: ['gone'] };
    expect(topoOrder(['a', 'b'], (n) => edges[n] ?? [])).toEqual(['a']);
  });
});

describe('compilePlan: dependency issues', () => {
  it('reports an unknown phase named twice in depends_on once, at its first place', () => {
    const issues = issuesOf(compile({ name: 'p', teams: [{ name: 'fe' }], phases: [{ id: 'p', depends_on: ['zz', 'zz'], tasks: [task('a')] }] }));
    expect(issues.map((i) => i.path)).toEqual(['phases[0].depends_on[0]']);
  });

  it('judges the cycles of a phase by its own tasks when a later phase repeats a task id', () => {
    const issues = issuesOf(
      compile({
        name: 'p',
        teams: [{ name: 'fe' }],
        phases: [
          { id: 'one', tasks: [task('a', { depends_on: ['b'] }), task('b', { depends_on: ['a'] })] },
          { id: 'two', depends_on: ['one'], tasks: [task('a')] },
        ],
      }),
    );
    expect(issues.map((i) => i.path)).toEqual(['phases[1].tasks[0].id', 'phases[0].tasks']);
  });
});
