import { planSchema, type PlanTask } from './plan.js';
import { CompiledTask, PLAN_TO_SPEC, TASK_SPEC_KEYS, copiedSpecFields, pickTaskSpec, type TaskSpec } from './task-spec.js';

/** A valid compiled task: the spec's required fields plus the coordinator's. */
const compiled = (): Record<string, unknown> => ({
  team: 'frontend',
  role: 'dev',
  command: ['make'],
  cpuPercent: 50,
  memoryMb: 512,
  priority: 0,
  id: 'build',
  phaseId: 'p1',
  maxAttempts: 1,
  labels: {},
  requires: {},
  dependsOn: [],
  onNodeLost: 'replace',
  lostAfterMs: 900_000,
});

function refusal(value: unknown): [PropertyKey[], string][] {
  const r = CompiledTask.safeParse(value);
  if (r.success) throw new Error(`expected a refusal of ${JSON.stringify(value)}`);
  return r.error.issues.map((i) => [i.path, i.code]);
}

describe('TASK_SPEC_KEYS', () => {
  it('lists every spec field in declaration order', () => {
    expect(TASK_SPEC_KEYS).toEqual([
      'team', 'role', 'command', 'cwd', 'env', 'cpuPercent', 'memoryMb', 'timeoutMs', 'priority', 'batch', 'agent', 'interactive',
      'checkinMs', 'checkinPrompt', 'prompt', 'doneWhen', 'answers', 'repo', 'commitEveryMs', 'onMemoryExceeded', 'memoryRestarts',
      'restartEveryMs', 'onStall', 'onWaiting', 'onNodeLost', 'lostAfterMs', 'mcp', 'home', 'secrets',
    ]);
  });
});

describe('CompiledTask', () => {
  it('decodes a compiled task exactly, with and without its cache', () => {
    expect(CompiledTask.parse(compiled())).toStrictEqual(compiled());
    const cached = { ...compiled(), labels: { tier: 'a' }, requires: { gpu: 'yes' }, dependsOn: ['lint', 'test'], maxAttempts: 3, cache: { inputs: ['src', ''], ttlMs: 1 } };
    expect(CompiledTask.parse(cached)).toStrictEqual({
      ...compiled(),
      labels: { tier: 'a' },
      requires: { gpu: 'yes' },
      dependsOn: ['lint', 'test'],
      maxAttempts: 3,
      cache: { inputs: ['src', ''], ttlMs: 1 },
    });
  });

  it('requires each coordinator field, onNodeLost and lostAfterMs included', () => {
    for (const k of ['id', 'phaseId', 'maxAttempts', 'labels', 'requires', 'dependsOn', 'onNodeLost', 'lostAfterMs', 'team', 'priority']) {
      const v = compiled();
      delete v[k];
      expect(refusal(v)).toEqual([[[k], k === 'onNodeLost' ? 'invalid_value' : 'invalid_type']]);
    }
  });

  it('maxAttempts: a whole number of at least 1', () => {
    expect(CompiledTask.parse({ ...compiled(), maxAttempts: 1 }).maxAttempts).toBe(1);
    expect(CompiledTask.parse({ ...compiled(), maxAttempts: 11 }).maxAttempts).toBe(11);
    expect(refusal({ ...compiled(), maxAttempts: 0 })).toEqual([[['maxAttempts'], 'too_small']]);
    expect(refusal({ ...compiled(), maxAttempts: 1.5 })).toEqual([[['maxAttempts'], 'invalid_type']]);
  });

  it('ids, labels and requires are checked item by item', () => {
    expect(refusal({ ...compiled(), id: 'Build' })).toEqual([[['id'], 'invalid_format']]);
    expect(refusal({ ...compiled(), phaseId: 'p.1' })).toEqual([[['phaseId'], 'invalid_format']]);
    expect(refusal({ ...compiled(), dependsOn: ['ok', 'Not-ok'] })).toEqual([[['dependsOn', 1], 'invalid_format']]);
    expect(refusal({ ...compiled(), labels: { a: 1 } })).toEqual([[['labels', 'a'], 'invalid_type']]);
    expect(refusal({ ...compiled(), requires: { a: true } })).toEqual([[['requires', 'a'], 'invalid_type']]);
  });

  it('onNodeLost: wait or replace; lostAfterMs whole and positive', () => {
    expect(CompiledTask.parse({ ...compiled(), onNodeLost: 'wait' }).onNodeLost).toBe('wait');
    expect(refusal({ ...compiled(), onNodeLost: 'keep' })).toEqual([[['onNodeLost'], 'invalid_value']]);
    expect(CompiledTask.parse({ ...compiled(), lostAfterMs: 1 }).lostAfterMs).toBe(1);
    expect(refusal({ ...compiled(), lostAfterMs: 0 })).toEqual([[['lostAfterMs'], 'too_small']]);
    expect(refusal({ ...compiled(), lostAfterMs: 2.5 })).toEqual([[['lostAfterMs'], 'invalid_type']]);
  });

  it('cache: strict, inputs are strings, ttlMs whole and positive', () => {
    expect(refusal({ ...compiled(), cache: { inputs: [], ttlMs: 1, key: 'x' } })).toEqual([[['cache'], 'unrecognized_keys']]);
    expect(refusal({ ...compiled(), cache: { inputs: [1], ttlMs: 1 } })).toEqual([[['cache', 'inputs', 0], 'invalid_type']]);
    expect(refusal({ ...compiled(), cache: { inputs: [], ttlMs: 0 } })).toEqual([[['cache', 'ttlMs'], 'too_small']]);
    expect(refusal({ ...compiled(), cache: { inputs: [], ttlMs: 0.5 } })).toEqual([[['cache', 'ttlMs'], 'invalid_type']]);
    expect(refusal({ ...compiled(), cache: { ttlMs: 1 } })).toEqual([[['cache', 'inputs'], 'invalid_type']]);
  });

  it('keeps the spec bounds and stays strict', () => {
    expect(refusal({ ...compiled(), cpuPercent: 0 })).toEqual([[['cpuPercent'], 'too_small']]);
    expect(refusal({ ...compiled(), resources: {} })).toEqual([[[], 'unrecognized_keys']]);
  });
});

describe('PLAN_TO_SPEC', () => {
  it('maps exactly these plan keys to these spec keys', () => {
    expect(PLAN_TO_SPEC).toStrictEqual({
      cwd: 'cwd',
      env: 'env',
      timeout: 'timeoutMs',
      batch: 'batch',
      agent: 'agent',
      interactive: 'interactive',
      prompt: 'prompt',
      done_when: 'doneWhen',
      answers: 'answers',
      on_memory_exceeded: 'onMemoryExceeded',
      memory_restarts: 'memoryRestarts',
      restart_every: 'restartEveryMs',
      on_stall: 'onStall',
      on_waiting: 'onWaiting',
      home: 'home',
      secrets: 'secrets',
    });
  });
});

describe('copiedSpecFields', () => {
  it('copies every mapped field under its spec name', () => {
    const t = {
      id: 'a', team: 'frontend', role: 'dev', command: ['claude'],
      cwd: '/w', env: { A: '1' }, timeout: 60_000, batch: 'b', agent: 'claude', interactive: true, prompt: 'go', done_when: 'idle',
      answers: [{ when: 'trust', choose: 'yes' }], on_memory_exceeded: 'notify', memory_restarts: 2, restart_every: 120_000,
      on_stall: 'fail', on_waiting: 'notify', home: 'shared', secrets: { GH_TOKEN: 'gh' },
    } as PlanTask;
    expect(copiedSpecFields(t)).toStrictEqual({
      cwd: '/w', env: { A: '1' }, timeoutMs: 60_000, batch: 'b', agent: 'claude', interactive: true, prompt: 'go', doneWhen: 'idle',
      answers: [{ when: 'trust', choose: 'yes' }], onMemoryExceeded: 'notify', memoryRestarts: 2, restartEveryMs: 120_000,
      onStall: 'fail', onWaiting: 'notify', home: 'shared', secrets: { GH_TOKEN: 'gh' },
    });
  });

  it('leaves absent fields absent (no undefined keys) and copies falsy values that are set', () => {
    expect(copiedSpecFields({ id: 'a', team: 't', role: 'r', command: ['x'] } as PlanTask)).toStrictEqual({});
    expect(copiedSpecFields({ id: 'a', team: 't', role: 'r', command: ['x'], interactive: false, memory_restarts: 0 } as PlanTask)).toStrictEqual({ interactive: false, memoryRestarts: 0 });
    expect(copiedSpecFields({ id: 'a', team: 't', role: 'r', command: ['x'], cwd: undefined, timeout: 5000 } as PlanTask)).toStrictEqual({ timeoutMs: 5000 });
  });

  it('copies nothing the compiler derives itself (resources, repo, lost-node, mcp, cache, graph)', () => {
    const t = {
      id: 'a', team: 't', role: 'r', command: ['x'], resources: { cpu: 100 }, retries: 2, priority: 5, labels: { a: 'b' }, requires: { c: 'd' },
      depends_on: ['z'], repo: '/r', commit_every: 60_000, on_node_lost: 'wait', lost_after: 20_000, mcp: { servers: [] }, cache: { ttl: 1000 },
    } as unknown as PlanTask;
    expect(copiedSpecFields(t)).toStrictEqual({});
  });

  it('copies the plan schema output: durations already in ms', () => {
    const plan = planSchema().parse({
      name: 'p',
      teams: [{ name: 't' }],
      phases: [{ id: 'ph', tasks: [{ id: 'a', team: 't', role: 'r', command: ['x'], timeout: '90s', restart_every: '2m', agent: 'codex', prompt: 'hi', done_when: 'idle' }] }],
    });
    expect(copiedSpecFields(plan.phases[0]!.tasks[0]!)).toStrictEqual({ timeoutMs: 90_000, restartEveryMs: 120_000, agent: 'codex', prompt: 'hi', doneWhen: 'idle' });
  });
});

describe('pickTaskSpec', () => {
  it('keeps exactly the spec fields that are set, in declaration order', () => {
    const t = { ...compiled(), interactive: false, memoryRestarts: 0, home: 'scratch', cwd: undefined, cache: { inputs: [], ttlMs: 5 } } as unknown as TaskSpec;
    const picked = pickTaskSpec(t);
    expect(picked).toStrictEqual({
      team: 'frontend', role: 'dev', command: ['make'], cpuPercent: 50, memoryMb: 512, priority: 0,
      interactive: false, memoryRestarts: 0, onNodeLost: 'replace', lostAfterMs: 900_000, home: 'scratch',
    });
    expect(Object.keys(picked)).toEqual(['team', 'role', 'command', 'cpuPercent', 'memoryMb', 'priority', 'interactive', 'memoryRestarts', 'onNodeLost', 'lostAfterMs', 'home']);
  });

  it('keeps every field of a full spec, the values themselves', () => {
    const env = { A: '1' };
    const full = {
      team: 't', role: 'r', command: ['x'], cwd: '/w', env, cpuPercent: 1, memoryMb: 1, timeoutMs: 1, priority: -1, batch: 'b', agent: 'shell', interactive: true,
      checkinMs: 1, checkinPrompt: 'c', prompt: 'p', doneWhen: 'exit', answers: [{ when: 'trust', choose: 1 }], repo: '/r', commitEveryMs: 1,
      onMemoryExceeded: 'fail', memoryRestarts: 1, restartEveryMs: 1, onStall: 'restart', onWaiting: 'checkin', onNodeLost: 'wait', lostAfterMs: 1,
      mcp: { servers: [], shoal: true }, home: '/h', secrets: { K: 's' },
    } as TaskSpec;
    const picked = pickTaskSpec(full);
    expect(picked).toStrictEqual({ ...full });
    expect(picked).not.toBe(full);
    expect(picked.env).toBe(env);
  });
});
