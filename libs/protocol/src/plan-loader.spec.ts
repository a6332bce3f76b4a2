import { ValidationError, type FieldIssue } from './errors.js';
import { DEFAULT_PLAN_LIMITS } from './plan.js';
import { MAX_PLAN_BYTES, type Result, loadPlan, parsePlanText, validatePlanObject } from './plan-loader.js';

type Obj = Record<string, any>;

/** A minimal valid plan; tests break one part of it at a time. */
function plan(): Obj {
  return {
    name: 'demo',
    teams: [{ name: 'fe' }],
    phases: [{ id: 'one', tasks: [{ id: 'build', team: 'fe', role: 'Frontend-Dev', command: ['npm', 'test'] }] }],
  };
}

function withTask(patch: Obj): Obj {
  const p = plan();
  Object.assign(p.phases[0].tasks[0], patch);
  return p;
}

function issuesOf<T>(r: Result<T>): FieldIssue[] {
  if (r.ok) throw new Error(`expected the plan to be refused, got ${JSON.stringify(r.value)}`);
  return r.issues;
}

/** Asserts that validation fails with an issue at exactly `path` whose reason matches. */
function expectRefused(data: unknown, path: string, reason: RegExp): FieldIssue[] {
  const issues = issuesOf(validatePlanObject(data));
  expect(issues).toContainEqual({ path, message: expect.stringMatching(reason) });
  return issues;
}

const T = 'phases[0].tasks[0]';

describe('validatePlanObject: good plans', () => {
  it('accepts the minimal plan unchanged', () => {
    const r = validatePlanObject(plan());
    expect(r).toEqual({ ok: true, value: plan() });
  });
});

describe('validatePlanObject: each bad-plan class gives its field path and reason', () => {
  it.each([
    ['top level', (p: Obj) => (p.owner = 'me'), '', /unknown field\(s\): owner/],
    ['phase', (p: Obj) => (p.phases[0].parallel = true), 'phases[0]', /unknown field\(s\): parallel/],
    ['task', (p: Obj) => (p.phases[0].tasks[0].shell = 'rm -rf /'), T, /unknown field\(s\): shell/],
    ['resources', (p: Obj) => (p.phases[0].tasks[0].resources = { gpu: 1 }), `${T}.resources`, /unknown field\(s\): gpu/],
    ['team', (p: Obj) => (p.teams[0].lead = 'x'), 'teams[0]', /unknown field\(s\): lead/],
  ])('unknown field (%s)', (_where, mutate, path, reason) => {
    const p = plan();
    mutate(p);
    expectRefused(p, path, reason);
  });

  it.each([
    ['upper case', 'Build'],
    ['a dot', 'build.x'],
    ['a star', 'build*'],
    ['a greater-than', 'a>'],
    ['a space', 'a b'],
    ['a leading dash', '-build'],
    ['the empty string', ''],
    ['64 characters', 'a'.repeat(64)],
  ])('bad id: %s', (_what, id) => {
    expectRefused(withTask({ id }), `${T}.id`, /must match \^\[a-z0-9\]/);
    const p = plan();
    p.phases[0].id = id;
    expectRefused(p, 'phases[0].id', /lower-case letters, digits, dashes; max 63/);
    p.name = id;
    expectRefused(p, 'name', /must match/);
  });

  it('accepts an id of exactly 63 characters', () => {
    expect(validatePlanObject(withTask({ id: 'a'.repeat(63) })).ok).toBe(true);
  });

  it('refuses a bad role (window name)', () => {
    expectRefused(withTask({ role: 'Dev.1' }), `${T}.role`, /must match/);
  });

  it('refuses an empty argv', () => {
    expectRefused(withTask({ command: [] }), `${T}.command`, /must not be empty/);
  });

  it('refuses a command given as a shell string', () => {
    expectRefused(withTask({ command: 'npm test' }), `${T}.command`, /argv array of strings/);
  });

  it('refuses a non-string argument, naming its index and what it got', () => {
    const issues = expectRefused(withTask({ command: ['echo', 42] }), `${T}.command[1]`, /expected string, received number/);
    expect(issues[0]!.message).not.toMatch(/required/);
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['newline', 'a\nb'],
    ['carriage return', 'a\rb'],
    ['ESC', '\u001b[31mred'],
    ['DEL', 'a\u007f'],
  ])('refuses %s in an argument', (_what, arg) => {
    expectRefused(withTask({ command: ['echo', 'ok', arg] }), `${T}.command[2]`, /control characters/);
  });

  it('allows a tab and unicode in an argument', () => {
    expect(validatePlanObject(withTask({ command: ['printf', 'a\tb', 'héllo ✓'] })).ok).toBe(true);
  });

  it('refuses an oversized argument and too many arguments', () => {
    expectRefused(withTask({ command: ['echo', 'x'.repeat(8193)] }), `${T}.command[1]`, /at most 8192/);
    expectRefused(withTask({ command: Array(257).fill('x') }), `${T}.command`, /at most 256 arguments/);
  });

  it('refuses an empty program', () => {
    expectRefused(withTask({ command: ['', 'arg'] }), `${T}.command`, /program \(first element\) must not be empty/);
  });

  it.each([255, 769, 0, -512, 1024])('refuses memory %i MB outside 256-768', (memory) => {
    expectRefused(withTask({ resources: { memory } }), `${T}.resources.memory`, /between 256 and 768 MB/);
  });

  it('accepts memory at the bounds 256 and 768', () => {
    expect(validatePlanObject(withTask({ resources: { memory: 256 } })).ok).toBe(true);
    expect(validatePlanObject(withTask({ resources: { memory: 768 } })).ok).toBe(true);
  });

  it('refuses fractional memory', () => {
    expectRefused(withTask({ resources: { memory: 300.5 } }), `${T}.resources.memory`, /whole megabytes/);
  });

  it('configured limits allow other memory ranges and change the message', () => {
    const limits = { ...DEFAULT_PLAN_LIMITS, memoryMinMb: 64, memoryMaxMb: 4096 };
    expect(validatePlanObject(withTask({ resources: { memory: 2048 } }), limits).ok).toBe(true);
    expect(validatePlanObject(withTask({ resources: { memory: 64 } }), limits).ok).toBe(true);
    const issues = issuesOf(validatePlanObject(withTask({ resources: { memory: 8192 } }), limits));
    expect(issues).toEqual([{ path: `${T}.resources.memory`, message: 'must be between 64 and 4096 MB' }]);
  });

  it.each([
    [0, /at least 1/],
    [-10, /at least 1/],
    [401, /at most 400/],
    [12.5, /whole percentage/],
  ])('refuses cpu %p', (cpu, reason) => {
    expectRefused(withTask({ resources: { cpu } }), `${T}.resources.cpu`, reason);
  });

  it('a configured cpu cap is enforced', () => {
    const limits = { ...DEFAULT_PLAN_LIMITS, cpuMaxPercent: 100 };
    expect(issuesOf(validatePlanObject(withTask({ resources: { cpu: 150 } }), limits))).toEqual([
      { path: `${T}.resources.cpu`, message: 'must be at most 100 (percent of one core)' },
    ]);
  });

  it.each(['soon', '10x', '-5s', '1.5m', '', '0s', 0, -3])('refuses malformed timeout %p', (timeout) => {
    expectRefused(withTask({ timeout }), `${T}.timeout`, /positive duration/);
  });

  it.each([['500ms'], [0.5], ['169h'], [8 * 24 * 3600]])('refuses timeout %p outside 1s-168h', (timeout) => {
    expectRefused(withTask({ timeout }), `${T}.timeout`, /between 1s and 168h/);
  });

  it('refuses negative, fractional and too many retries', () => {
    expectRefused(withTask({ retries: -1 }), `${T}.retries`, /0 or more/);
    expectRefused(withTask({ retries: 11 }), `${T}.retries`, /at most 10/);
    expectRefused(withTask({ retries: 1.5 }), `${T}.retries`, /expected int/);
    const limits = { ...DEFAULT_PLAN_LIMITS, maxRetries: 2 };
    expect(issuesOf(validatePlanObject(withTask({ retries: 3 }), limits))).toEqual([{ path: `${T}.retries`, message: 'must be at most 2' }]);
  });

  it.each(['lower', '1ABC', 'A-B', 'A B', ''])('refuses env name %p with the rule', (name) => {
    expectRefused(withTask({ env: { [name]: 'x' } }), `${T}.env.${name}`, /env names must match \^\[A-Z_\]\[A-Z0-9_\]\*\$/);
  });

  it.each(['LD_PRELOAD', 'LD_LIBRARY_PATH', 'BASH_ENV', 'NODE_OPTIONS'])('refuses the dangerous env name %s', (name) => {
    const issues = expectRefused(withTask({ env: { SAFE: '1', [name]: 'x' } }), `${T}.env.${name}`, /must not be one of .*LD_PRELOAD/);
    expect(issues).toHaveLength(1);
  });

  it('refuses NUL in an env value and accepts ordinary env', () => {
    expectRefused(withTask({ env: { A: 'x\u0000' } }), `${T}.env.A`, /NUL/);
    expect(validatePlanObject(withTask({ env: { A_1: 'x', _B: 'y z' } })).ok).toBe(true);
  });

  it.each([
    ['relative', 'work/dir', /absolute path/],
    ['dot-relative', './dir', /absolute path/],
    ['with ..', '/srv/../etc', /"\.\." segments/],
    ['ending in ..', '/srv/..', /"\.\." segments/],
    ['with a newline', '/srv/\nx', /control characters/],
  ])('refuses a %s cwd', (_what, cwd, reason) => {
    expectRefused(withTask({ cwd }), `${T}.cwd`, reason);
  });

  it('accepts an absolute cwd whose names merely contain dots', () => {
    expect(validatePlanObject(withTask({ cwd: '/srv/app..v2/.cache' })).ok).toBe(true);
  });

  it('refuses bad labels with the rule', () => {
    expectRefused(withTask({ labels: { Bad: 'x' } }), `${T}.labels.Bad`, /label keys must match/);
    expectRefused(withTask({ labels: { zone: 'a b' } }), `${T}.labels.zone`, /label values/);
  });

  it('refuses an unsupported version and accepts version 1', () => {
    expectRefused({ ...plan(), version: 2 }, 'version', /unsupported plan version: only 1/);
    expectRefused({ ...plan(), version: '1' }, 'version', /unsupported plan version/);
    expect(validatePlanObject({ ...plan(), version: 1 }).ok).toBe(true);
  });

  it.each([[null], [42], ['a string'], [[plan()]], [undefined]])('refuses %p: a plan must be a mapping', (data) => {
    expect(issuesOf(validatePlanObject(data))).toEqual([{ path: '', message: expect.stringMatching(/must be a mapping/) }]);
  });

  it('refuses missing required fields and empty collections', () => {
    expectRefused({ teams: [{ name: 'fe' }], phases: plan().phases }, 'name', /is required/);
    expectRefused({ ...plan(), teams: [] }, 'teams', /at least one team/);
    expectRefused({ ...plan(), phases: [] }, 'phases', /at least one phase/);
    const p = plan();
    p.phases[0].tasks = [];
    expectRefused(p, 'phases[0].tasks', /at least one task/);
    const q = plan();
    delete q.phases[0].tasks[0].command;
    expectRefused(q, `${T}.command`, /./);
  });

  it('does not crash on phases of the wrong shape', () => {
    const issues = issuesOf(validatePlanObject({ ...plan(), phases: [1, { id: 'b' }] }));
    expect(issues).toContainEqual({ path: 'phases[0]', message: expect.stringMatching(/expected object, received number/) });
    expect(issues).toContainEqual({ path: 'phases[1].tasks', message: 'is required (array)' });
  });

  it('enforces configured limits on phases and tasks', () => {
    const p = plan();
    p.phases[0].tasks.push({ id: 'two', team: 'fe', role: 'Other', command: ['x'] });
    expect(validatePlanObject(p).ok).toBe(true);
    expect(issuesOf(validatePlanObject(p, { ...DEFAULT_PLAN_LIMITS, maxTasks: 1 }))).toEqual([{ path: 'phases', message: 'at most 1 tasks in all' }]);
    const q = plan();
    q.phases.push({ ...q.phases[0], id: 'two' });
    expect(issuesOf(validatePlanObject(q, { ...DEFAULT_PLAN_LIMITS, maxPhases: 1 }))).toEqual([{ path: 'phases', message: 'at most 1 phases' }]);
  });

  it('refuses __proto__, constructor and prototype keys anywhere', () => {
    const p = JSON.parse('{"name":"demo","teams":[{"name":"fe"}],"phases":[],"__proto__":{"polluted":true}}');
    expect(issuesOf(validatePlanObject(p))).toEqual([{ path: '__proto__', message: 'forbidden key' }]);
    const q = plan();
    q.phases[0].tasks[0].env = JSON.parse('{"constructor":"x"}');
    expect(issuesOf(validatePlanObject(q))).toEqual([{ path: `${T}.env.constructor`, message: 'forbidden key' }]);
    expect(({} as Obj).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than 32 levels', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { k: deep };
    const p = plan();
    p.description = deep;
    expect(issuesOf(validatePlanObject(p))).toEqual([{ path: expect.stringMatching(/^description(\.k)+$/), message: 'nested deeper than 32 levels' }]);
  });

  it('lists every problem at once', () => {
    const p = plan();
    p.extra = 1;
    p.phases[0].id = 'Bad.Id';
    Object.assign(p.phases[0].tasks[0], { command: [], resources: { memory: 100, cpu: 0 }, cwd: 'rel', env: { LD_PRELOAD: 'x' }, retries: -1, timeout: 'nope' });
    const paths = issuesOf(validatePlanObject(p)).map((i) => i.path);
    expect(paths.sort()).toEqual(
      ['', 'phases[0].id', `${T}.command`, `${T}.resources.memory`, `${T}.resources.cpu`, `${T}.cwd`, `${T}.env.LD_PRELOAD`, `${T}.retries`, `${T}.timeout`].sort(),
    );
  });
});

describe('task result cache', () => {
  it('accepts cache inputs and a ttl, decoded to milliseconds', () => {
    const r = validatePlanObject(withTask({ cache: { inputs: ['schema-v3', 'rev 1a2b'], ttl: '15m' } }));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.value.phases[0]!.tasks[0]!.cache).toEqual({ inputs: ['schema-v3', 'rev 1a2b'], ttl: 15 * 60_000 });
    const noInputs = validatePlanObject(withTask({ cache: { ttl: 60 } }));
    expect(noInputs.ok && noInputs.value.phases[0]!.tasks[0]!.cache).toEqual({ ttl: 60_000 });
  });

  it('refuses a cache without ttl, a too long ttl, bad inputs and unknown fields', () => {
    expectRefused(withTask({ cache: { inputs: ['a'] } }), `${T}.cache.ttl`, /./);
    expectRefused(withTask({ cache: { ttl: '2000h' } }), `${T}.cache.ttl`, /must be between 1s and 720h/);
    expectRefused(withTask({ cache: { ttl: '1m', inputs: ['ok', 'bad\nline'] } }), `${T}.cache.inputs[1]`, /control characters/);
    expectRefused(withTask({ cache: { ttl: '1m', files: ['x'] } }), `${T}.cache`, /files/);
  });
});

describe('validatePlanObject: worktree and memory-policy fields', () => {
  it('accepts repo, commit_every, on_memory_exceeded, memory_restarts and restart_every, durations in ms', () => {
    const r = validatePlanObject(withTask({ repo: '/srv/app', commit_every: '45m', on_memory_exceeded: 'restart', memory_restarts: 2, restart_every: '2h' }));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.value.phases[0]!.tasks[0]).toMatchObject({ repo: '/srv/app', commit_every: 45 * 60_000, on_memory_exceeded: 'restart', memory_restarts: 2, restart_every: 2 * 3_600_000 });
  });

  it.each([
    [{ repo: 'relative/repo' }, 'repo', /absolute path/],
    [{ repo: '/srv/../etc' }, 'repo', /"\.\." segments/],
    [{ commit_every: '10s' }, 'commit_every', /between 1m and 24h/],
    [{ commit_every: 'often' }, 'commit_every', /positive duration/],
    [{ on_memory_exceeded: 'explode' }, 'on_memory_exceeded', /restart|fail|notify/],
    [{ memory_restarts: -1 }, 'memory_restarts', /0 or more/],
    [{ memory_restarts: 1000 }, 'memory_restarts', /at most 100/],
    [{ restart_every: '5s' }, 'restart_every', /between 1m and/],
  ])('refuses %p at its field', (patch, field, reason) => {
    expectRefused(withTask(patch), `${T}.${field}`, reason);
  });

  it('accepts a team-level commit_every', () => {
    const p = plan();
    p.teams[0].commit_every = '1h';
    const r = validatePlanObject(p);
    expect(r.ok && r.value.teams[0]!.commit_every).toBe(3_600_000);
  });
});
