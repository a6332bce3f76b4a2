/**
 * Every refusal of the plan schema, with its exact path and message (issue 15: a message a
 * mutant blanks or rewords must fail a test), and the documented defaults and enumerations.
 */
import type { FieldIssue } from './errors.js';
import { type Result, validatePlanObject } from './plan-loader.js';
import {
  AGENT_PRESETS,
  CHECKIN_DEFAULTS,
  COMMIT_EVERY,
  DEFAULT_PLAN_LIMITS,
  FORBIDDEN_ENV,
  LOST_AFTER,
  PRESET_MEMORY_MB,
  TASK_DEFAULTS,
  planSchema,
} from './plan.js';

type Obj = Record<string, any>;
const T = 'phases[0].tasks[0]';
const plan = (task: Obj = {}, top: Obj = {}): Obj => ({
  name: 'demo',
  teams: [{ name: 'fe' }],
  phases: [{ id: 'one', tasks: [{ id: 'build', team: 'fe', role: 'Frontend-Dev', command: ['npm', 'test'], ...task }] }],
  ...top,
});
function issuesOf<T>(r: Result<T>): FieldIssue[] {
  if (r.ok) throw new Error(`expected the plan to be refused, got ${JSON.stringify(r.value)}`);
  return r.issues;
}
const many = (n: number, f: (i: number) => [string, string]) => Object.fromEntries(Array.from({ length: n }, (_, i) => f(i)));

describe('plan schema: each refusal, exactly', () => {
  it.each([
    ['an overlong argument', { command: ['x', 'y'.repeat(8193)] }, `${T}.command[1]`, 'must be at most 8192 characters'],
    ['a newline in an argument', { command: ['echo', 'a\nb'] }, `${T}.command[1]`, 'must not contain NUL, newline or other control characters'],
    ['a command string', { command: 'npm test' }, `${T}.command`, 'must be an argv array of strings, e.g. ["npm", "test"]'],
    ['an empty command', { command: [] }, `${T}.command`, 'must not be empty: give the program and its arguments as an array, e.g. ["npm", "test"]'],
    ['257 arguments', { command: Array.from({ length: 257 }, () => 'a') }, `${T}.command`, 'must have at most 256 arguments'],
    ['an empty program', { command: ['', 'x'] }, `${T}.command`, 'the program (first element) must not be empty'],
    ['a relative cwd', { cwd: 'srv' }, `${T}.cwd`, 'must be an absolute path'],
    ['a cwd with ..', { cwd: '/srv/../etc' }, `${T}.cwd`, 'must not contain ".." segments'],
    ['a cwd with a control character (a tab is allowed)', { cwd: '/srv/\u0001x' }, `${T}.cwd`, 'must not contain control characters'],
    ['a NUL in an env value', { env: { A: 'x\u0000' } }, `${T}.env.A`, 'must not contain NUL'],
    ['101 env variables', { env: many(101, (i) => [`V${i}`, 'x']) }, `${T}.env`, 'at most 100 variables'],
    ['a bad label value', { labels: { zone: 'a b' } }, `${T}.labels.zone`, 'label values are letters, digits, ".", "_" and "-" (max 63)'],
    ['33 labels', { labels: many(33, (i) => [`k${i}`, 'v']) }, `${T}.labels`, 'at most 32 labels'],
    ['a control character in a cache input', { cache: { ttl: '1h', inputs: ['a\u0001'] } }, `${T}.cache.inputs[0]`, 'must not contain control characters'],
    ['65 cache inputs', { cache: { ttl: '1h', inputs: Array.from({ length: 65 }, (_, i) => `i${i}`) } }, `${T}.cache.inputs`, 'at most 64 inputs'],
    ['a fractional cpu', { resources: { cpu: 1.5 } }, `${T}.resources.cpu`, 'must be a whole percentage'],
    ['cpu 0', { resources: { cpu: 0 } }, `${T}.resources.cpu`, 'must be at least 1 (percent of one core)'],
    ['cpu 401', { resources: { cpu: 401 } }, `${T}.resources.cpu`, 'must be at most 400 (percent of one core)'],
    ['fractional memory', { resources: { memory: 300.5 } }, `${T}.resources.memory`, 'must be whole megabytes'],
    ['memory 255', { resources: { memory: 255 } }, `${T}.resources.memory`, 'must be between 256 and 768 MB'],
    ['memory 769', { resources: { memory: 769 } }, `${T}.resources.memory`, 'must be between 256 and 768 MB'],
    ['retries -1', { retries: -1 }, `${T}.retries`, 'must be 0 or more'],
    ['retries 11', { retries: 11 }, `${T}.retries`, 'must be at most 10'],
    ['memory_restarts -1', { memory_restarts: -1 }, `${T}.memory_restarts`, 'must be 0 or more'],
    ['memory_restarts 101', { memory_restarts: 101 }, `${T}.memory_restarts`, 'must be at most 100'],
  ])('%s', (_what, task, path, message) => {
    expect(issuesOf(validatePlanObject(plan(task)))).toEqual([{ path, message }]);
  });

  it('accepts every value at the bounds just refused (and a tab in a cwd)', () => {
    const ok = plan({
      command: ['x', 'y'.repeat(8192), ...Array.from({ length: 254 }, () => 'a')],
      cwd: '/srv/a\tb',
      env: many(100, (i) => [`V${i}`, 'x']),
      labels: many(32, (i) => [`k${i}`, 'v']),
      cache: { ttl: '1h', inputs: Array.from({ length: 64 }, (_, i) => `i${i}`) },
      resources: { cpu: 400, memory: 768 },
      retries: 10,
      memory_restarts: 100,
    });
    expect(validatePlanObject(ok).ok).toBe(true);
    expect(validatePlanObject(plan({ resources: { cpu: 1, memory: 256 }, retries: 0, memory_restarts: 0 })).ok).toBe(true);
  });

  it('a blank check-in prompt of a team is refused', () => {
    expect(issuesOf(validatePlanObject(plan({}, { teams: [{ name: 'fe', checkin_prompt: '   ' }] })))).toEqual([{ path: 'teams[0].checkin_prompt', message: 'must not be blank' }]);
  });

  it('empty teams, phases and tasks name what is missing', () => {
    expect(issuesOf(validatePlanObject(plan({}, { teams: [] })))).toEqual([{ path: 'teams', message: 'a plan needs at least one team' }]);
    expect(issuesOf(validatePlanObject(plan({}, { phases: [] })))).toEqual([{ path: 'phases', message: 'a plan needs at least one phase' }]);
    expect(issuesOf(validatePlanObject(plan({}, { phases: [{ id: 'one', tasks: [] }] })))).toEqual([{ path: 'phases[0].tasks', message: 'a phase needs at least one task' }]);
  });

  it('the schema itself refuses too many phases or tasks (the loader checks these counts first)', () => {
    const limits = { ...DEFAULT_PLAN_LIMITS, maxPhases: 1, maxTasks: 1 };
    const two = plan({}, { phases: [plan().phases[0], { ...plan().phases[0], id: 'two' }] });
    const r = planSchema(limits).safeParse(two);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['phases', 'at most 1 phases']]);
    const twoTasks = plan();
    twoTasks.phases[0].tasks.push({ ...twoTasks.phases[0].tasks[0], id: 'other' });
    const r2 = planSchema(limits).safeParse(twoTasks);
    expect(r2.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['phases', 'at most 1 tasks in all']]);
    expect(planSchema().safeParse(two).success).toBe(true);
  });

  it('an unsupported version says which one is', () => {
    expect(issuesOf(validatePlanObject(plan({}, { version: 2 })))).toEqual([{ path: 'version', message: 'unsupported plan version: only 1 is supported' }]);
  });
});

describe('plan schema: enumerations', () => {
  it.each(['fail-fast', 'continue', 'manual'])('failure_policy %s', (failure_policy) => {
    expect(validatePlanObject(plan({}, { phases: [{ ...plan().phases[0], failure_policy }] })).ok).toBe(true);
  });
  it.each(['restart', 'fail', 'notify'])('on_memory_exceeded %s', (on_memory_exceeded) => {
    expect(validatePlanObject(plan({ on_memory_exceeded })).ok).toBe(true);
  });
  it.each(['wait', 'replace'])('on_node_lost %s', (on_node_lost) => {
    expect(validatePlanObject(plan({ on_node_lost })).ok).toBe(true);
  });
  it.each(['claude', 'codex', 'aider', 'gemini', 'qwen', 'opencode', 'shell'])('agent %s', (agent) => {
    expect(validatePlanObject(plan({ agent })).ok).toBe(true);
  });
  it('refuses a value outside each enumeration', () => {
    for (const [field, value] of [['on_memory_exceeded', 'ignore'], ['on_node_lost', 'forget'], ['agent', 'cursor']]) {
      expect(issuesOf(validatePlanObject(plan({ [field!]: value }))).map((i) => i.path)).toEqual([`${T}.${field}`]);
    }
    expect(issuesOf(validatePlanObject(plan({}, { phases: [{ ...plan().phases[0], failure_policy: 'retry' }] }))).map((i) => i.path)).toEqual(['phases[0].failure_policy']);
  });
});

describe('plan defaults, as documented in docs/plans.md', () => {
  it('limits, task defaults, preset memory, check-ins, lost_after and commit_every', () => {
    expect(DEFAULT_PLAN_LIMITS).toEqual({ memoryMinMb: 256, memoryMaxMb: 768, cpuMaxPercent: 400, maxTasks: 2000, maxPhases: 500, maxRetries: 10, maxTimeoutMs: 604_800_000 });
    expect(TASK_DEFAULTS).toEqual({ cpu: 50, memory: 512, retries: 0, priority: 0 });
    expect(AGENT_PRESETS).toEqual(['claude', 'codex', 'aider', 'gemini', 'qwen', 'opencode', 'shell']);
    expect(PRESET_MEMORY_MB).toEqual({ claude: 384, codex: 512, gemini: 512, qwen: 704, opencode: 768, aider: 512, shell: 256 });
    expect(CHECKIN_DEFAULTS).toEqual({ intervalMs: 900_000, prompt: 'Status check: reply with what you finished, what you are doing, and what blocks you.' });
    expect(LOST_AFTER).toEqual({ min: 10_000, max: 86_400_000, default: 900_000 });
    expect(COMMIT_EVERY).toEqual({ min: 60_000, max: 86_400_000, default: 1_800_000 });
    expect(FORBIDDEN_ENV).toHaveLength(8);
  });
});
