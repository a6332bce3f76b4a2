import { type FieldIssue, type Plan, validatePlanObject } from '@shoal/protocol';
import { compilePlan } from './graph.js';

type Task = Record<string, unknown> & { id: string };

/** A schema-valid plan of one or more phases; batch members default to team fe, role Docs, a plain command. */
function plan(phases: Task[][]): Plan {
  const data = {
    name: 'batches',
    teams: [{ name: 'fe' }, { name: 'be' }],
    phases: phases.map((tasks, i) => ({ id: `p${i}`, ...(i > 0 ? { depends_on: [`p${i - 1}`] } : {}), tasks: tasks.map((t) => ({ team: 'fe', role: 'Docs', command: ['make', t.id], ...t })) })),
  };
  const r = validatePlanObject(data);
  if (!r.ok) throw new Error(`test plan is not schema-valid: ${JSON.stringify(r.issues)}`);
  return r.value;
}

function issues(phases: Task[][]): FieldIssue[] {
  const r = compilePlan(plan(phases));
  return r.ok ? [] : r.issues;
}

const agent = (id: string, extra: Record<string, unknown> = {}): Task => ({ id, command: ['claude'], agent: 'claude', prompt: `do ${id}`, batch: 'docs', ...extra });

describe('compilePlan: batches', () => {
  it('accepts members sharing phase, team, role, preset and budget, and lets them share one window', () => {
    const r = compilePlan(plan([[agent('lead'), agent('b'), agent('c'), { id: 'other', role: 'Dev' }]]));
    expect(r.ok).toBe(true);
    if (r.ok) expect([...r.value.tasks.values()].filter((t) => t.batch === 'docs').map((t) => `${t.id}:${t.memoryMb}:${t.prompt}`)).toEqual(['lead:384:do lead', 'b:384:do b', 'c:384:do c']);
  });

  it('accepts plain-command members with different commands', () => {
    expect(issues([[{ id: 'a', batch: 'lint' }, { id: 'b', batch: 'lint', command: ['npm', 'test'] }]])).toEqual([]);
  });

  it('keeps the one-window-per-role rule between a member and a task outside its batch', () => {
    expect(issues([[agent('lead'), { id: 'solo', command: ['make'] }]])).toEqual([
      { path: 'phases[0].tasks[1].role', message: 'role "Docs" of team "fe" is already used in this phase by lead (one window per role)' },
    ]);
  });

  it('keeps the rule between two different batches on one role', () => {
    expect(issues([[{ id: 'a', batch: 'x' }, { id: 'b', batch: 'y' }]])).toEqual([
      { path: 'phases[0].tasks[1].role', message: 'role "Docs" of team "fe" is already used in this phase by a (one window per role)' },
    ]);
  });

  it('names the field and the first member when the budget differs', () => {
    expect(issues([[agent('lead', { resources: { memory: 512 } }), agent('b', { resources: { memory: 512 } }), agent('c'), agent('d', { resources: { cpu: 100, memory: 512 } })]])).toEqual([
      { path: 'phases[0].tasks[2].resources.memory', message: 'batch "docs" needs the same budget as lead (512 MB)' },
      { path: 'phases[0].tasks[3].resources.cpu', message: 'batch "docs" needs the same budget as lead (50% CPU)' },
    ]);
  });

  it('refuses a member in another phase', () => {
    expect(issues([[agent('lead')], [agent('late')]])).toEqual([
      { path: 'phases[1].tasks[0].batch', message: 'batch "docs" runs in one phase: its first member lead is in phase "p0", this task in "p1"' },
    ]);
  });

  it('refuses another team, role, preset or interactivity', () => {
    expect(issues([[agent('lead'), agent('t', { team: 'be' }), agent('r', { role: 'Other' }), agent('a', { agent: 'codex', command: ['claude'] }), { id: 'i', batch: 'docs', interactive: true, prompt: 'x', command: ['claude'] }]])).toEqual([
      { path: 'phases[0].tasks[1].team', message: 'batch "docs" needs the same team as lead ("fe")' },
      { path: 'phases[0].tasks[2].role', message: 'batch "docs" needs the same role as lead ("Docs"): one window runs the batch' },
      { path: 'phases[0].tasks[3].agent', message: 'batch "docs" needs the same agent preset as lead (claude)' },
      { path: 'phases[0].tasks[3].resources.memory', message: 'batch "docs" needs the same budget as lead (384 MB)' },
      { path: 'phases[0].tasks[4].agent', message: 'batch "docs" needs the same agent preset as lead (claude)' },
      { path: 'phases[0].tasks[4].resources.memory', message: 'batch "docs" needs the same budget as lead (384 MB)' },
    ]);
    expect(issues([[{ id: 'p', batch: 'm' }, { id: 'q', batch: 'm', interactive: true, prompt: 'x' }]])).toEqual([
      { path: 'phases[0].tasks[1].interactive', message: 'batch "m" needs the same interactive setting as p (false)' },
    ]);
  });

  it('refuses an interactive member without a prompt, or with another command', () => {
    expect(issues([[agent('lead'), agent('b', { prompt: undefined }), agent('c', { command: ['claude', '--resume'] })]])).toEqual([
      { path: 'phases[0].tasks[1].prompt', message: 'batch "docs" runs an interactive agent: each member needs a prompt (typed when its turn comes)' },
      { path: 'phases[0].tasks[2].command', message: 'batch "docs" needs the same command as lead (["claude"]): one agent process answers every member\'s prompt' },
    ]);
  });

  it('refuses what one session cannot honour per member: repo, on_memory_exceeded restart', () => {
    expect(issues([[agent('lead', { repo: '/srv/repo', on_memory_exceeded: 'restart' })]])).toEqual([
      { path: 'phases[0].tasks[0].repo', message: 'batch "docs" cannot use repo: members share one session, not one worktree each' },
      { path: 'phases[0].tasks[0].on_memory_exceeded', message: 'batch "docs" cannot restart its session on memory: use fail or notify' },
    ]);
  });

  it('checks each batch against its own first member', () => {
    expect(issues([[{ id: 'a', batch: 'x', role: 'X' }, { id: 'b', batch: 'y', role: 'Y', resources: { memory: 256 } }, { id: 'c', batch: 'y', role: 'Y', resources: { memory: 256 } }]])).toEqual([]);
  });
});
