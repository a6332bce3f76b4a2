import { type FieldIssue, type Plan, validatePlanObject } from '@shoal/protocol';
import { batchIssues, sameBatch } from './batches.js';

type Task = Record<string, unknown> & { id: string };

/** A schema-valid plan of one phase; members default to team fe, role Docs, batch docs. */
function plan(tasks: Task[]): Plan {
  const r = validatePlanObject({ name: 'b', teams: [{ name: 'fe' }], phases: [{ id: 'p', tasks: tasks.map((t) => ({ team: 'fe', role: 'Docs', batch: 'docs', ...t })) }] });
  if (!r.ok) throw new Error(`test plan is not schema-valid: ${JSON.stringify(r.issues)}`);
  return r.value;
}

const issues = (tasks: Task[]): FieldIssue[] => batchIssues(plan(tasks));

describe('batchIssues: edges of the member checks', () => {
  it('says "none" for a first member without an agent preset', () => {
    expect(issues([{ id: 'lead', command: ['make'] }, { id: 'm', command: ['claude'], agent: 'claude', prompt: 'x', resources: { memory: 512 } }])).toEqual([
      { path: 'phases[0].tasks[1].agent', message: 'batch "docs" needs the same agent preset as lead (none)' },
    ]);
  });

  it('compares interactive commands argument by argument, not as one joined string', () => {
    const agent = { agent: 'claude', prompt: 'x' };
    expect(issues([{ id: 'lead', command: ['claude', 'x'], ...agent }, { id: 'm', command: ['claudex'], ...agent }])).toEqual([
      { path: 'phases[0].tasks[1].command', message: 'batch "docs" needs the same command as lead (["claude","x"]): one agent process answers every member\'s prompt' },
    ]);
  });

  it('says which interactive setting the first member has when it is interactive', () => {
    expect(issues([{ id: 'lead', command: ['make'], interactive: true, prompt: 'x' }, { id: 'm', command: ['make'] }])).toEqual([
      { path: 'phases[0].tasks[1].interactive', message: 'batch "docs" needs the same interactive setting as lead (true)' },
    ]);
  });

  it('has nothing to say about tasks outside any batch', () => {
    expect(issues([{ id: 'a', command: ['make'], batch: undefined, repo: '/srv/x', on_memory_exceeded: 'restart' }])).toEqual([]);
  });
});

describe('sameBatch', () => {
  it('is true only for two members of one batch', () => {
    expect(sameBatch({ batch: 'x' }, { batch: 'x' })).toBe(true);
    expect(sameBatch({ batch: 'x' }, { batch: 'y' })).toBe(false);
    expect(sameBatch({}, {})).toBe(false);
    expect(sameBatch(undefined, { batch: 'x' })).toBe(false);
    expect(sameBatch({}, { batch: 'x' })).toBe(false);
  });
});
