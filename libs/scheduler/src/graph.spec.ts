import { type Plan, validatePlanObject } from '@shoal/protocol';
import { compilePlan, findCycle, topoOrder } from './graph.js';
import { compiled, issuesOf } from './graph.spec-support.js';

interface TaskSpec {
  id: string;
  team?: string;
  role?: string;
  depends_on?: string[];
  [k: string]: unknown;
}
interface PhaseSpec {
  id: string;
  depends_on?: string[];
  failure_policy?: string;
  tasks: TaskSpec[];
}

/** A schema-valid plan (so only compilePlan's own checks are exercised); roles default to the task id. */
function plan(phases: PhaseSpec[], teams: string[] = ['fe', 'be']): Plan {
  const data = {
    name: 'demo',
    teams: teams.map((name) => ({ name })),
    phases: phases.map((p) => ({ ...p, tasks: p.tasks.map((t) => ({ team: 'fe', role: `R-${t.id}`, command: ['true'], ...t })) })),
  };
  const r = validatePlanObject(data);
  if (!r.ok) throw new Error(`test plan is not schema-valid: ${JSON.stringify(r.issues)}`);
  return r.value;
}

const phase = (id: string, taskIds: string[], depends_on?: string[]): PhaseSpec => ({ id, depends_on, tasks: taskIds.map((t) => ({ id: t })) });


describe('compilePlan: refusals, each with path and reason', () => {
  it('duplicate phase ids', () => {
    expect(issuesOf(compilePlan(plan([phase('a', ['t1']), phase('a', ['t2'])])))).toEqual([
      { path: 'phases[1].id', message: 'duplicate phase id "a" (also phases[0])' },
    ]);
  });

  it('duplicate task ids, across and within phases', () => {
    expect(issuesOf(compilePlan(plan([phase('a', ['t1']), phase('b', ['t1'], ['a'])])))).toEqual([
      { path: 'phases[1].tasks[0].id', message: 'duplicate task id "t1" (also phases[0].tasks[0])' },
    ]);
    const p = plan([{ id: 'a', tasks: [{ id: 't1', role: 'X' }, { id: 't1', role: 'Y' }] }]);
    expect(issuesOf(compilePlan(p))).toEqual([{ path: 'phases[0].tasks[1].id', message: 'duplicate task id "t1" (also phases[0].tasks[0])' }]);
  });

  it('duplicate team names', () => {
    expect(issuesOf(compilePlan(plan([phase('a', ['t1'])], ['fe', 'be', 'fe'])))).toEqual([{ path: 'teams[2].name', message: 'duplicate team "fe"' }]);
  });

  it('unknown team, listing the declared ones', () => {
    expect(issuesOf(compilePlan(plan([{ id: 'a', tasks: [{ id: 't1', team: 'ops' }] }])))).toEqual([
      { path: 'phases[0].tasks[0].team', message: 'unknown team "ops"; declared teams: fe, be' },
    ]);
  });

  it('unknown phase dependency, listing the phases', () => {
    expect(issuesOf(compilePlan(plan([phase('a', ['t1']), phase('b', ['t2'], ['a', 'nope'])])))).toEqual([
      { path: 'phases[1].depends_on[1]', message: 'unknown phase "nope"; phases are: a, b' },
    ]);
  });

  it('points at the original index of a bad dependency even after a repeated one', () => {
    expect(issuesOf(compilePlan(plan([phase('a', ['t1']), phase('b', ['t2'], ['a', 'a', 'nope'])])))).toEqual([
      { path: 'phases[1].depends_on[2]', message: 'unknown phase "nope"; phases are: a, b' },
    ]);
  });

  it('phase depending on itself', () => {
    expect(issuesOf(compilePlan(plan([phase('a', ['t1'], ['a'])])))).toEqual([{ path: 'phases[0].depends_on[0]', message: 'phase "a" depends on itself' }]);
  });

  it('phase cycle of two, shown as a -> b -> a', () => {
    expect(issuesOf(compilePlan(plan([phase('a', ['t1'], ['b']), phase('b', ['t2'], ['a'])])))).toEqual([
      { path: 'phases', message: 'dependency cycle: a -> b -> a' },
    ]);
  });

  it('phase cycle of three, in dependency order', () => {
    // a needs c, c needs b, b needs a: a runs before b, b before c, c before a.
    const p = plan([phase('a', ['t1'], ['c']), phase('b', ['t2'], ['a']), phase('c', ['t3'], ['b']), phase('d', ['t4'])]);
    expect(issuesOf(compilePlan(p))).toEqual([{ path: 'phases', message: 'dependency cycle: a -> b -> c -> a' }]);
  });

  it('a cycle reachable from an acyclic part is still found', () => {
    const p = plan([phase('start', ['t0']), phase('x', ['t1'], ['start', 'y']), phase('y', ['t2'], ['x'])]);
    expect(issuesOf(compilePlan(p))).toEqual([{ path: 'phases', message: expect.stringMatching(/^dependency cycle: (x -> y -> x|y -> x -> y)$/) }]);
  });

  it('task-level dependencies: unknown, self, cross-phase', () => {
    const p = plan([
      phase('a', ['t1']),
      { id: 'b', depends_on: ['a'], tasks: [{ id: 't2', depends_on: ['ghost'] }, { id: 't3', depends_on: ['t3'] }, { id: 't4', depends_on: ['t1'] }] },
    ]);
    expect(issuesOf(compilePlan(p))).toEqual([
      { path: 'phases[1].tasks[0].depends_on[0]', message: 'unknown task "ghost" in phase "b"' },
      { path: 'phases[1].tasks[1].depends_on[0]', message: 'task "t3" depends on itself' },
      { path: 'phases[1].tasks[2].depends_on[0]', message: `task "t1" is in another phase: order phases with the phase's depends_on instead` },
    ]);
  });

  it('task-level cycle inside a phase', () => {
    const p = plan([{ id: 'a', tasks: [{ id: 'x', depends_on: ['z'] }, { id: 'y', depends_on: ['x'] }, { id: 'z', depends_on: ['y'] }, { id: 'w' }] }]);
    expect(issuesOf(compilePlan(p))).toEqual([{ path: 'phases[0].tasks', message: 'dependency cycle: x -> y -> z -> x' }]);
  });

  it('the same role twice for one team in one phase (one tmux window per role)', () => {
    const p = plan([{ id: 'a', tasks: [{ id: 't1', role: 'Dev' }, { id: 't2', role: 'Dev', team: 'be' }, { id: 't3', role: 'Dev' }] }]);
    expect(issuesOf(compilePlan(p))).toEqual([
      { path: 'phases[0].tasks[2].role', message: 'role "Dev" of team "fe" is already used in this phase by t1 (one window per role)' },
    ]);
  });

  it('allows the same role in different phases', () => {
    const p = plan([{ id: 'a', tasks: [{ id: 't1', role: 'Dev' }] }, { id: 'b', depends_on: ['a'], tasks: [{ id: 't2', role: 'Dev' }] }]);
    expect(compilePlan(p).ok).toBe(true);
  });

  it('lists every problem at once', () => {
    const p = plan(
      [
        { id: 'a', depends_on: ['b'], tasks: [{ id: 't1', team: 'ops' }, { id: 't2', depends_on: ['t2'] }] },
        { id: 'b', depends_on: ['a', 'zz', 'b'], tasks: [{ id: 't1' }] },
        { id: 'a', tasks: [{ id: 't3' }] },
      ],
      ['fe', 'fe'],
    );
    const paths = issuesOf(compilePlan(p)).map((i) => i.path);
    expect(paths.sort()).toEqual(
      ['teams[1].name', 'phases[2].id', 'phases[0].tasks[0].team', 'phases[1].tasks[0].id', 'phases[0].tasks[1].depends_on[0]', 'phases[1].depends_on[1]', 'phases[1].depends_on[2]', 'phases'].sort(),
    );
  });
});

describe('compilePlan: order and defaults', () => {
  it('orders a sequential graph', () => {
    const c = compiled(compilePlan(plan([phase('c', ['t3'], ['b']), phase('a', ['t1']), phase('b', ['t2'], ['a'])])));
    expect(c.order).toEqual(['a', 'b', 'c']);
  });

  it('orders a parallel graph in declaration order', () => {
    const c = compiled(compilePlan(plan([phase('x', ['t1']), phase('y', ['t2']), phase('z', ['t3'])])));
    expect(c.order).toEqual(['x', 'y', 'z']);
    for (const p of c.phases.values()) expect(p.dependsOn).toEqual([]);
  });

  it('orders the hybrid graph A,B -> C -> D,E and links dependents', () => {
    const c = compiled(compilePlan(plan([phase('one', ['a', 'b']), phase('two', ['c'], ['one']), phase('three', ['d', 'e'], ['two'])])));
    expect(c.order).toEqual(['one', 'two', 'three']);
    expect(c.phases.get('one')).toMatchObject({ dependsOn: [], dependents: ['two'], taskIds: ['a', 'b'], failurePolicy: 'fail-fast' });
    expect(c.phases.get('three')).toMatchObject({ dependsOn: ['two'], dependents: [], taskIds: ['d', 'e'] });
    expect([...c.tasks.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(c.tasks.get('c')!.phaseId).toBe('two');
  });

  it('orders a diamond so every phase comes after its dependencies', () => {
    const c = compiled(compilePlan(plan([phase('join', ['t4'], ['left', 'right']), phase('right', ['t3'], ['root']), phase('left', ['t2'], ['root']), phase('root', ['t1'])])));
    const at = (id: string) => c.order.indexOf(id);
    expect(c.order).toHaveLength(4);
    expect(at('root')).toBeLessThan(at('left'));
    expect(at('root')).toBeLessThan(at('right'));
    expect(Math.max(at('left'), at('right'))).toBeLessThan(at('join'));
  });

  it('applies defaults: cpu 50, memory 512, maxAttempts 1, priority 0', () => {
    const t = compiled(compilePlan(plan([phase('a', ['t1'])]))).tasks.get('t1')!;
    expect(t).toEqual({
      id: 't1', phaseId: 'a', team: 'fe', role: 'R-t1', command: ['true'], cwd: undefined, env: undefined,
      cpuPercent: 50, memoryMb: 512, timeoutMs: undefined, maxAttempts: 1, priority: 0, labels: {}, requires: {}, dependsOn: [], batch: undefined,
      onNodeLost: 'replace', lostAfterMs: 15 * 60_000,
    });
  });

  it('keeps what the plan sets: maxAttempts = 1 + retries, durations in ms, deduplicated deps', () => {
    const p = plan([
      {
        id: 'a',
        failure_policy: 'manual',
        tasks: [
          { id: 'x' },
          { id: 't1', depends_on: ['x', 'x'], retries: 2, timeout: '2m', priority: 7, resources: { cpu: 150, memory: 256 }, labels: { zone: 'a' }, requires: { gpu: 'no' }, env: { A: '1' }, cwd: '/srv', batch: 'b1' },
        ],
      },
    ]);
    const c = compiled(compilePlan(p));
    expect(c.phases.get('a')!.failurePolicy).toBe('manual');
    expect(c.tasks.get('t1')).toMatchObject({ cpuPercent: 150, memoryMb: 256, maxAttempts: 3, timeoutMs: 120_000, priority: 7, labels: { zone: 'a' }, requires: { gpu: 'no' }, env: { A: '1' }, cwd: '/srv', batch: 'b1', dependsOn: ['x'] });
  });
});

describe('findCycle and topoOrder', () => {
  const graph = (edges: Record<string, string[]>) => (id: string) => edges[id] ?? [];

  it('findCycle returns undefined for a DAG and a closed cycle otherwise', () => {
    expect(findCycle(['a', 'b', 'c'], graph({ b: ['a'], c: ['a', 'b'] }))).toBeUndefined();
    expect(findCycle(['a', 'b'], graph({ a: ['b'], b: ['a'] }))).toEqual(['a', 'b', 'a']);
    const cycle = findCycle(['p', 'q', 'r', 's'], graph({ p: ['s'], s: ['r'], r: ['q'], q: ['s'] }))!;
    expect(cycle[0]).toBe(cycle[cycle.length - 1]);
    expect(new Set(cycle)).toEqual(new Set(['q', 'r', 's']));
  });

  it('topoOrder omits nodes on a cycle (so callers must check for cycles first)', () => {
    expect(topoOrder(['a', 'b', 'c'], graph({ a: ['b'], b: ['a'] }))).toEqual(['c']);
    expect(topoOrder(['c', 'b', 'a'], graph({ c: ['b'], b: ['a'] }))).toEqual(['a', 'b', 'c']);
  });
});
