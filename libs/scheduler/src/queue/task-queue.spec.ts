/**
 * TaskQueue: lanes per (run, priority) kept in age order, the oldest task found across lanes
 * (the autoscaler reads it through `Placer.stats().oldestWaitMs`), classes and removal.
 */
import { Placer } from '../placement/placer.js';
import { demand, nodeView } from '../placement/test-fixtures.js';
import type { TaskDemand } from '../placement/types.js';
import { TaskQueue, byAge } from './task-queue.js';

const keys = (q: TaskQueue) => q.lanes().map((l) => l.items.map((i) => i.demand.key));

describe('TaskQueue: lane order', () => {
  it('re-sorts a lane when an older task arrives after a newer one (a resumed run)', () => {
    const q = new TaskQueue();
    q.add(demand('new', { enqueuedAt: 500 }));
    q.add(demand('old', { enqueuedAt: 100 }));
    expect(keys(q)).toEqual([['new', 'old']]);
    q.compact();
    expect(keys(q)).toEqual([['old', 'new']]);
    expect(q.lanes()[0]!.sorted).toBe(true);
  });

  it('keeps a lane that only grew in age order as it is (no sort needed)', () => {
    const q = new TaskQueue();
    q.add(demand('a', { enqueuedAt: 100 }));
    q.add(demand('b', { enqueuedAt: 100 }));
    q.add(demand('c', { enqueuedAt: 200 }));
    expect(q.lanes()[0]!.sorted).toBe(true);
    q.compact();
    expect(keys(q)).toEqual([['a', 'b', 'c']]);
  });

  it('the placer places the older task first after such a late arrival', () => {
    const p = new Placer({ now: () => 1_000 });
    p.enqueue(demand('new', { enqueuedAt: 500 }));
    p.enqueue(demand('old', { enqueuedAt: 100 }));
    const r = p.round([nodeView('a', { capacity: { cpuPercent: 240, memoryMb: 8192, maxTasks: 1 } })]);
    expect(r.placed.map((x) => x.key)).toEqual(['old']);
  });

  it('byAge: older first, then the longer estimate, then enqueue order', () => {
    const q = new TaskQueue();
    q.add(demand('short', { enqueuedAt: 100, estimateMs: 10 }));
    q.add(demand('unknown', { enqueuedAt: 100 }));
    q.add(demand('long', { enqueuedAt: 100, estimateMs: 99 }));
    q.add(demand('short2', { enqueuedAt: 100, estimateMs: 10 }));
    q.add(demand('oldest', { enqueuedAt: 50, estimateMs: 1 }));
    q.compact();
    expect(keys(q)).toEqual([['oldest', 'long', 'short', 'short2', 'unknown']]);
    const [a, b] = q.lanes()[0]!.items;
    expect(byAge(a!, a!)).toBe(0);
    expect(Math.sign(byAge(a!, b!))).toBe(-1);
    expect(Math.sign(byAge(b!, a!))).toBe(1);
  });

  it('one lane per run and priority, in creation order', () => {
    const q = new TaskQueue();
    q.add(demand('a', { runId: 'r1', priority: 0 }));
    q.add(demand('b', { runId: 'r1', priority: 5 }));
    q.add(demand('c', { runId: 'r2', priority: 0 }));
    q.add(demand('d', { runId: 'r1', priority: 0 }));
    expect(q.lanes().map((l) => [l.runId, l.priority, l.items.map((i) => i.demand.key)])).toEqual([
      ['r1', 0, ['a', 'd']],
      ['r1', 5, ['b']],
      ['r2', 0, ['c']],
    ]);
  });
});

describe('TaskQueue: the oldest queued task', () => {
  it('is found across lanes, not taken from the first lane', () => {
    const q = new TaskQueue();
    q.add(demand('r1-task', { runId: 'r1', enqueuedAt: 500 }));
    q.add(demand('r2-task', { runId: 'r2', enqueuedAt: 100 }));
    q.add(demand('r3-task', { runId: 'r3', enqueuedAt: 300 }));
    expect(q.oldestEnqueuedAt()).toBe(100);
  });

  it('is found inside a lane not re-sorted yet', () => {
    const q = new TaskQueue();
    q.add(demand('new', { enqueuedAt: 500 }));
    q.add(demand('newer', { enqueuedAt: 600 }));
    q.add(demand('old', { enqueuedAt: 100 }));
    expect(q.oldestEnqueuedAt()).toBe(100);
  });

  it('ignores removed tasks, and is undefined for an empty queue', () => {
    const q = new TaskQueue();
    expect(q.oldestEnqueuedAt()).toBeUndefined();
    q.add(demand('old', { enqueuedAt: 100 }));
    q.add(demand('new', { enqueuedAt: 500 }));
    q.remove('old');
    expect(q.oldestEnqueuedAt()).toBe(500);
  });

  it('Placer.stats().oldestWaitMs reports the age of the oldest task, whichever lane holds it', () => {
    const clock = { t: 10_000 };
    const p = new Placer({ now: () => clock.t });
    p.enqueue(demand('r1-new', { runId: 'r1', enqueuedAt: 9_000 }));
    p.enqueue(demand('r2-old', { runId: 'r2', enqueuedAt: 1_000 }));
    p.enqueue(demand('r1-old', { runId: 'r1', enqueuedAt: 4_000 }));
    expect(p.stats()).toEqual({ depth: 3, oldestWaitMs: 9_000, byRun: { r1: 2, r2: 1 } });
    p.cancel('r2-old');
    expect(p.stats().oldestWaitMs).toBe(6_000);
  });

  it('oldestWaitMs is never negative (a task stamped ahead of the clock)', () => {
    const p = new Placer({ now: () => 1_000 });
    p.enqueue(demand('future', { enqueuedAt: 5_000 }));
    expect(p.stats().oldestWaitMs).toBe(0);
  });
});

describe('TaskQueue: keys, runs, classes', () => {
  it('a second add of a queued key changes nothing', () => {
    const q = new TaskQueue();
    expect(q.add(demand('a', { enqueuedAt: 1 }))).toBe(true);
    expect(q.add(demand('a', { enqueuedAt: 2, runId: 'r2' }))).toBe(false);
    expect(q.size).toBe(1);
    expect(q.byRun()).toEqual({ r1: 1 });
    expect(q.nextSequence).toBe(1);
  });

  it('counts per run, removes one task or a whole run, and drops empty lanes on compact', () => {
    const q = new TaskQueue();
    q.add(demand('a', { runId: 'r1' }));
    q.add(demand('b', { runId: 'r1' }));
    q.add(demand('c', { runId: 'r2' }));
    expect(q.byRun()).toEqual({ r1: 2, r2: 1 });
    expect(q.remove('a')).toBe(true);
    expect(q.remove('a')).toBe(false);
    expect(q.byRun()).toEqual({ r1: 1, r2: 1 });
    expect(q.removeRun('r1')).toBe(1);
    expect(q.byRun()).toEqual({ r2: 1 });
    expect(q.lanes().map((l) => l.runId)).toEqual(['r2']);
    expect(q.removeRun('r9')).toBe(0);
    expect(q.size).toBe(1);
  });

  it('groups demands into feasibility classes and reports the smallest live demand', () => {
    const q = new TaskQueue();
    expect(q.smallestDemand()).toEqual([Infinity, Infinity]);
    q.add(demand('a', { cpuPercent: 50, memoryMb: 900 }));
    q.add(demand('b', { cpuPercent: 50, memoryMb: 900 }));
    q.add(demand('c', { cpuPercent: 80, memoryMb: 300 }));
    q.add(demand('d', { cpuPercent: 50, memoryMb: 900, requires: { gpu: 'true' } }));
    q.add(demand('e', { cpuPercent: 50, memoryMb: 900, preset: 'codex' }));
    q.add(demand('f', { cpuPercent: 50, memoryMb: 900, antiAffinity: 'web' }));
    q.add(demand('g', { cpuPercent: 50, memoryMb: 900, avoid: { tier: 'big' } }));
    q.add(demand('h', { cpuPercent: 50, memoryMb: 901 }));
    expect(q.classCount).toBe(7);
    expect(q.classIdLimit).toBe(7);
    const classOf = (k: string) => q.lanes()[0]!.items.find((i) => i.demand.key === k)!.classId;
    expect(classOf('a')).toBe(classOf('b'));
    expect(q.smallestDemand()).toEqual([50, 300]);
    q.remove('c');
    expect(q.smallestDemand()).toEqual([50, 900]);
    expect(q.classCount).toBe(6);
    q.remove('a');
    expect(q.classCount).toBe(6);
    q.remove('b');
    expect(q.classCount).toBe(5);
  });

  it('tasks of different anti-affinity groups or presets are never one class', () => {
    const q = new TaskQueue();
    q.add(demand('web', { antiAffinity: 'web' }));
    q.add(demand('api', { antiAffinity: 'api' }));
    q.add(demand('codex', { preset: 'codex' }));
    q.add(demand('claude', { preset: 'claude' }));
    q.add(demand('plain'));
    const ids = q.lanes()[0]!.items.map((i) => i.classId);
    expect(new Set(ids).size).toBe(5);
  });

  it('the smallest demand is the minimum over live classes, whatever their order', () => {
    const q = new TaskQueue();
    q.add(demand('small-cpu', { cpuPercent: 10, memoryMb: 2048 }));
    q.add(demand('small-mem', { cpuPercent: 90, memoryMb: 64 }));
    q.add(demand('big', { cpuPercent: 200, memoryMb: 4096 }));
    expect(q.smallestDemand()).toEqual([10, 64]);
  });

  it('keeps its classes while tasks are queued: compacting with tasks left, then removing them, counts down to 0', () => {
    const q = new TaskQueue();
    q.add(demand('a', { cpuPercent: 10 }));
    q.add(demand('b', { cpuPercent: 20 }));
    q.add(demand('c', { cpuPercent: 20 }));
    q.remove('a');
    q.compact();
    expect(q.classIdLimit).toBe(2);
    expect(q.classCount).toBe(1);
    expect(q.remove('b')).toBe(true);
    expect(q.remove('c')).toBe(true);
    expect(q.classCount).toBe(0);
    expect(q.smallestDemand()).toEqual([Infinity, Infinity]);
  });

  it('forgets its classes once empty and compacted, so class ids start again at 0', () => {
    const q = new TaskQueue();
    q.add(demand('a', { cpuPercent: 10 }));
    q.add(demand('b', { cpuPercent: 20 }));
    q.remove('a');
    q.remove('b');
    expect(q.classIdLimit).toBe(2);
    q.compact();
    expect(q.classIdLimit).toBe(0);
    expect(q.classCount).toBe(0);
    q.add(demand('c', { cpuPercent: 30 }));
    expect(q.lanes()[0]!.items[0]!.classId).toBe(0);
  });

  it('lists a waiting reason for every live task, skipping removed ones', () => {
    const q = new TaskQueue();
    q.add(demand('a'));
    q.add(demand('b', { runId: 'r2' }));
    q.add(demand('c'));
    q.remove('c');
    expect(q.waiting((t) => `why ${t.demand.key}`)).toEqual([
      { key: 'a', reason: 'why a' },
      { key: 'b', reason: 'why b' },
    ]);
  });

  it('precomputes selector pairs and starts without an explicit reason', () => {
    const q = new TaskQueue();
    q.add(demand('a', { requires: { repo: 'web' }, avoid: { tier: 'small' }, prefers: { zone: 'eu' } }));
    expect(q.lanes()[0]!.items[0]).toMatchObject({ requiresPairs: ['repo=web'], avoidPairs: ['tier=small'], preferPairs: ['zone=eu'], explicitRound: -1, explicitReason: '', removed: false, seq: 0 });
  });
});

describe('TaskQueue.compact: only lanes with removed tasks are filtered', () => {
  const demand = (runId: string, i: number, priority = 0) =>
    ({ key: `${runId}/t${i}`, runId, taskId: `t${i}`, team: 'a', role: `R${i}`, cpuPercent: 10, memoryMb: 10, priority, requires: {}, enqueuedAt: i }) as TaskDemand;

  it('drops removed tasks of each lane, keeps untouched lanes as they are, and drops lanes left empty', () => {
    const q = new TaskQueue();
    for (let i = 0; i < 3; i++) q.add(demand('r1', i));
    for (let i = 0; i < 3; i++) q.add(demand('r2', i));
    q.add(demand('r3', 0));
    q.compact();
    const [l1, l2] = q.lanes();
    const untouched = l2!.items;
    q.remove('r1/t0');
    q.remove('r1/t2');
    q.remove('r3/t0');
    expect(l1!.removed).toBe(2);
    q.compact();
    expect(q.lanes().map((l) => [l.runId, l.items.map((i) => i.demand.taskId), l.removed])).toEqual([
      ['r1', ['t1'], 0],
      ['r2', ['t0', 't1', 't2'], 0],
    ]);
    expect(q.lanes()[1]!.items).toBe(untouched); // not copied
    expect(q.size).toBe(4);
    q.removeRun('r2');
    expect(q.lanes().map((l) => l.runId)).toEqual(['r1']);
    q.add(demand('r2', 9));
    q.compact();
    expect(q.lanes().map((l) => [l.runId, l.items.length, l.removed])).toEqual([
      ['r1', 1, 0],
      ['r2', 1, 0],
    ]);
  });
});
