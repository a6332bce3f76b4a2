/**
 * Placer details that mutation testing showed unobserved (issue 15): which demands are refused,
 * half-open preset gates admitting a few, the default options, and the reason of every kind of
 * waiting task.
 */
import { Placer } from './placer.js';
import { demand, nodeView } from './test-fixtures.js';
import type { PlacementGate } from './types.js';

const placer = (over: Partial<ConstructorParameters<typeof Placer>[0]> = {}) => new Placer({ now: () => 0, ...over });

describe('Placer.enqueue: refuses demands it could never place or order', () => {
  it.each([
    ['no CPU', { cpuPercent: 0 }],
    ['negative CPU', { cpuPercent: -5 }],
    ['NaN CPU', { cpuPercent: Number.NaN }],
    ['no memory', { memoryMb: 0 }],
    ['NaN memory', { memoryMb: Number.NaN }],
    ['infinite CPU', { cpuPercent: Infinity }],
    ['infinite memory', { memoryMb: Infinity }],
    ['NaN priority', { priority: Number.NaN }],
    ['infinite enqueue time', { enqueuedAt: Infinity }],
  ])('%s', (_what, over) => {
    const p = placer();
    expect(() => p.enqueue(demand('x', over))).toThrow(expect.objectContaining({ code: 'E_VALIDATION', issues: [{ path: 'x', message: 'cpuPercent and memoryMb must be positive, priority and enqueuedAt finite' }] }));
    expect(p.depth()).toBe(0);
  });

  it('accepts small positive resources and negative priorities', () => {
    const p = placer();
    p.enqueue(demand('x', { cpuPercent: 0.5, memoryMb: 1, priority: -10 }));
    expect(p.depth()).toBe(1);
  });
});

describe('Placer: a half-open preset admits only its trials', () => {
  it('one trial for codex: the first codex task is placed and noted, the next waits, other presets flow', () => {
    const noted: string[] = [];
    const gate: PlacementGate = {
      allowance: (k) => (k === 'codex' ? 1 : Infinity),
      describe: (k) => `circuit half-open for agent preset ${k}`,
      notePlaced: (k) => noted.push(k),
    };
    const p = placer({ presetBreakers: gate });
    p.enqueue(demand('c1', { preset: 'codex' }));
    p.enqueue(demand('c2', { preset: 'codex' }));
    p.enqueue(demand('k1', { preset: 'claude' }));
    p.enqueue(demand('plain'));
    const r = p.round([nodeView('n')]);
    expect(r.placed.map((x) => x.key)).toEqual(['c1', 'k1', 'plain']);
    expect(noted).toEqual(['codex', 'claude']);
    expect(r.waiting).toEqual([{ key: 'c2', reason: 'circuit half-open for agent preset codex' }]);
  });

  it('two trials admit two placements of that preset in one round', () => {
    const p = placer({ presetBreakers: { allowance: () => 2, describe: () => 'held', notePlaced: () => {} } });
    for (let i = 0; i < 4; i++) p.enqueue(demand(`c${i}`, { preset: 'codex' }));
    expect(p.round([nodeView('n')]).placed.map((x) => x.key)).toEqual(['c0', 'c1']);
  });

  it('a node breaker is told of every placement on its node', () => {
    const noted: string[] = [];
    const p = placer({ nodeBreakers: { allowance: () => Infinity, describe: () => '', notePlaced: (id) => noted.push(id) } });
    for (let i = 0; i < 3; i++) p.enqueue(demand(`t${i}`));
    p.round([nodeView('a'), nodeView('b')]);
    expect(noted).toEqual(['a', 'b', 'a']);
  });
});

describe('Placer: defaults', () => {
  it('spreads by default, with a host CPU band of 60%', () => {
    const p = placer();
    p.enqueue(demand('t0'));
    p.enqueue(demand('t1'));
    const r = p.round([nodeView('a', { hostCpuPercent: 60 }), nodeView('b', { hostCpuPercent: 60 })]);
    expect(r.placed.map((x) => x.nodeId)).toEqual(['a', 'b']);
    expect(r.placed[0]!.reason).toMatch(/^spread: /);
  });

  it('ages by one level per 10 s by default', () => {
    const clock = { t: 0 };
    const p = new Placer({ now: () => clock.t });
    const one = [nodeView('a', { capacity: { cpuPercent: 240, memoryMb: 8192, maxTasks: 1 } })];
    p.enqueue(demand('old', { priority: 0, enqueuedAt: 0 }));
    clock.t = 19_999;
    p.enqueue(demand('new', { priority: 2, enqueuedAt: 19_999 }));
    expect(p.round(one).placed[0]!.key).toBe('new');
    const q = new Placer({ now: () => clock.t });
    q.enqueue(demand('old', { priority: 0, enqueuedAt: 0 }));
    clock.t = 20_000;
    q.enqueue(demand('new', { priority: 2, enqueuedAt: 20_000 }));
    expect(q.round(one).placed[0]!.key).toBe('old');
  });

  it('a configured band and strategy are used', () => {
    const p = placer({ hostCpuHighPercent: 80, strategy: 'pack' });
    p.enqueue(demand('t'));
    const r = p.round([nodeView('a', { hostCpuPercent: 75 }), nodeView('b', { hostCpuPercent: 85, committed: { cpuPercent: 100, memoryMb: 0, tasks: 1 } })]);
    expect(r.placed).toEqual([expect.objectContaining({ nodeId: 'a', reason: expect.stringMatching(/^pack: a now 50\/240% CPU, 512\/8192 MB, 1\/8 tasks$/) })]);
  });
});

describe('Placer: why a task waits', () => {
  it('a task queued after the last round is "not yet considered", then gets the reason of its class', () => {
    const p = placer();
    p.enqueue(demand('big1', { cpuPercent: 1000 }));
    p.round([nodeView('a')]);
    p.enqueue(demand('big2', { cpuPercent: 1000 }));
    expect(p.waitingReasons()).toEqual([
      { key: 'big1', reason: 'no node has 1000% CPU free (best: a 240%)' },
      { key: 'big2', reason: 'queued: not yet considered by a placement round' },
    ]);
    p.round([nodeView('a')]);
    expect(p.waitingReasons().map((w) => w.reason)).toEqual(['no node has 1000% CPU free (best: a 240%)', 'no node has 1000% CPU free (best: a 240%)']);
  });

  it('before any round every task is "not yet considered"', () => {
    const p = placer();
    p.enqueue(demand('t'));
    expect(p.waitingReasons()).toEqual([{ key: 't', reason: 'queued: not yet considered by a placement round' }]);
  });

  it('a batch task waiting for its pinned node says so, round after round', () => {
    const p = placer();
    const one = { capacity: { cpuPercent: 240, memoryMb: 8192, maxTasks: 1 } };
    p.enqueue(demand('b0', { batch: 'x' }));
    expect(p.round([nodeView('a', one), nodeView('b', one)]).placed.map((x) => x.nodeId)).toEqual(['a']);
    p.enqueue(demand('b1', { batch: 'x' }));
    // node a is full and no member of x holds a budget there any more (b0 finished)
    expect(p.round([nodeView('a', { ...one, committed: { cpuPercent: 50, memoryMb: 512, tasks: 1 } }), nodeView('b', one)]).waiting).toEqual([{ key: 'b1', reason: 'batch x waits for room on its node a' }]);
    const r = p.round([nodeView('a', { ...one, committed: { cpuPercent: 50, memoryMb: 512, tasks: 1 } }), nodeView('b', one)]);
    expect(r.waiting).toEqual([{ key: 'b1', reason: 'batch x waits for room on its node a' }]);
  });

  it('a task no round reached because the fleet filled up reads the fleet reason; a missing label is named first', () => {
    const p = placer();
    p.enqueue(demand('t0'));
    p.enqueue(demand('t1'));
    p.enqueue(demand('gpu', { requires: { gpu: 'true' }, enqueuedAt: 5 }));
    const r = p.round([nodeView('a', { capacity: { cpuPercent: 240, memoryMb: 8192, maxTasks: 1 } })]);
    expect(r.placed.map((x) => x.key)).toEqual(['t0']);
    expect(r.waiting).toEqual([
      { key: 't1', reason: 'all 1 available node(s) full' },
      { key: 'gpu', reason: 'no node with label gpu=true' },
    ]);
  });
});

describe('Placer: fairness bookkeeping', () => {
  it('a run that already placed more waits behind a run that placed less, even with older tasks', () => {
    const p = placer();
    for (let i = 0; i < 4; i++) p.enqueue(demand(`a${i}`, { runId: 'ra', enqueuedAt: i }));
    p.enqueue(demand('b0', { runId: 'rb', enqueuedAt: 50 }));
    p.enqueue(demand('c0', { runId: 'rc', enqueuedAt: 60 }));
    const r = p.round([nodeView('n', { capacity: { cpuPercent: 1000, memoryMb: 99999, maxTasks: 5 } })]);
    expect(r.placed.map((x) => x.key)).toEqual(['a0', 'b0', 'c0', 'a1', 'a2']);
  });

  it('tasks of a class that failed are skipped without stopping other classes behind them', () => {
    const p = placer();
    p.enqueue(demand('huge0', { cpuPercent: 900, enqueuedAt: 0 }));
    p.enqueue(demand('huge1', { cpuPercent: 900, enqueuedAt: 1 }));
    p.enqueue(demand('huge2', { cpuPercent: 900, enqueuedAt: 2 }));
    p.enqueue(demand('small', { cpuPercent: 10, enqueuedAt: 3 }));
    const r = p.round([nodeView('n')]);
    expect(r.placed.map((x) => x.key)).toEqual(['small']);
    expect(r.waiting.map((w) => w.key)).toEqual(['huge0', 'huge1', 'huge2']);
  });
});
