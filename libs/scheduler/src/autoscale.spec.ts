import { Autoscaler, type FleetSignal } from './autoscale.js';

const idle: FleetSignal = { now: 0, nodes: 4, queueDepth: 0, oldestWaitMs: 0, running: 8, cpuUtilisation: 0.6, expectedTaskMs: 60_000, slotsPerNode: 8 };

describe('Autoscaler', () => {
  const opts = { minNodes: 2, maxNodes: 20, upWaitMs: 30_000, stabiliseMs: 60_000, upCoolDownMs: 120_000, downCoolDownMs: 600_000 };

  it('holds when the fleet matches demand', () => {
    const d = new Autoscaler(opts).decide(idle);
    expect(d).toMatchObject({ current: 4, desired: 4, direction: 'hold' });
    expect(d.reasons.at(-1)).toBe('fleet size matches demand');
  });

  it('scales up to drain the queue in time once tasks wait, then cools down', () => {
    const a = new Autoscaler(opts);
    const busy = { ...idle, queueDepth: 200, running: 32, cpuUtilisation: 0.8 };
    expect(a.decide({ ...busy, oldestWaitMs: 10_000 })).toMatchObject({ direction: 'hold', desired: 4 });
    const up = a.decide({ ...busy, now: 1_000, oldestWaitMs: 40_000 });
    // 200 x 60 s over 300 s = 40 slots + 32 running = 72 slots / 8 = 9 nodes
    expect(up).toMatchObject({ current: 4, desired: 9, direction: 'up' });
    expect(up.reasons.at(-1)).toBe('scale up: oldest task waited 40 s');
    const again = a.decide({ ...busy, now: 60_000, nodes: 9, queueDepth: 600, oldestWaitMs: 90_000 });
    expect(again).toMatchObject({ direction: 'hold', desired: 9 });
    expect(again.reasons.at(-1)).toBe('cooling down after scaling up: 61 s left');
    expect(a.decide({ ...busy, now: 121_000, nodes: 9, queueDepth: 600, oldestWaitMs: 90_000 }).direction).toBe('up');
  });

  it('scales down one node at a time only after a quiet stabilisation window (hysteresis)', () => {
    const a = new Autoscaler(opts);
    const quiet = { ...idle, nodes: 10, running: 2, cpuUtilisation: 0.1 };
    expect(a.decide({ ...quiet, now: 0 }).reasons.at(-1)).toBe('quiet for 0 s of the 60 s needed before scaling down');
    // a blip of queued work resets the quiet window
    expect(a.decide({ ...quiet, now: 30_000, queueDepth: 1 }).direction).toBe('hold');
    expect(a.decide({ ...quiet, now: 60_000 }).direction).toBe('hold');
    const down = a.decide({ ...quiet, now: 120_000 });
    expect(down).toMatchObject({ current: 10, desired: 9, direction: 'down' });
    expect(a.decide({ ...quiet, nodes: 9, now: 300_000 }).reasons.at(-1)).toBe('quiet for 0 s of the 60 s needed before scaling down');
    expect(a.decide({ ...quiet, nodes: 9, now: 400_000 }).reasons.at(-1)).toBe('cooling down after scaling down: 320 s left');
    expect(a.state()).toEqual({ lastChangeAt: 120_000, lastDirection: 'down', quietSince: 300_000 });
  });

  it('does not shrink between the thresholds, and respects min and max', () => {
    const a = new Autoscaler(opts);
    expect(a.decide({ ...idle, nodes: 10, cpuUtilisation: 0.55, now: 999_999 }).reasons.at(-1)).toMatch(/CPU is above 50%/);
    expect(new Autoscaler(opts).decide({ ...idle, nodes: 1 })).toMatchObject({ desired: 2, direction: 'up' });
    expect(new Autoscaler(opts).decide({ ...idle, nodes: 25 })).toMatchObject({ desired: 20, direction: 'down' });
    const huge = new Autoscaler(opts).decide({ ...idle, queueDepth: 100_000, oldestWaitMs: 60_000 });
    expect(huge).toMatchObject({ desired: 20, direction: 'up' });
  });

  it('restores its state (cool-down survives a restart)', () => {
    const a = new Autoscaler(opts, { lastChangeAt: 0, lastDirection: 'up' });
    expect(a.decide({ ...idle, now: 1_000, queueDepth: 500, oldestWaitMs: 60_000 }).reasons.at(-1)).toMatch(/^cooling down after scaling up/);
  });
});

describe('Autoscaler: work no node takes', () => {
  const opts = { minNodes: 1, maxNodes: 20, upWaitMs: 30_000, upCoolDownMs: 120_000 };
  // one node with free slots (1 of 4 used) and CPU to spare, yet a queued task waited 245 s:
  // anti-affinity, memory or the CPU band keep it off that node (the "stayed hold")
  const stuck: FleetSignal = { now: 0, nodes: 1, queueDepth: 1, oldestWaitMs: 245_000, running: 1, cpuUtilisation: 0.3, expectedTaskMs: 60_000, slotsPerNode: 4 };

  it('scales up when queued work waited past upWaitMs although the nodes report free slots', () => {
    const d = new Autoscaler(opts).decide(stuck);
    expect(d).toMatchObject({ current: 1, desired: 2, direction: 'up', need: 2 });
    expect(d.reasons[0]).toMatch(/1 queued task\(s\) no node took for 245 s need room beyond the 1 node\(s\) -> 2 node\(s\)/);
    expect(d.reasons.at(-1)).toBe('scale up: oldest task waited 245 s');
  });

  it('also without a runtime estimate (expected 0 s still asks for one more node)', () => {
    expect(new Autoscaler(opts).decide({ ...stuck, expectedTaskMs: 0 })).toMatchObject({ desired: 2, direction: 'up' });
  });

  it('holds while that work has waited less than upWaitMs', () => {
    // need says what the demand asks for while the hold waits for pressure
    expect(new Autoscaler(opts).decide({ ...stuck, oldestWaitMs: 10_000, running: 4 })).toMatchObject({ desired: 1, direction: 'hold', need: 2 });
  });

  it('does not grow for queued work more nodes would not help (waitingForRoom 0: a missing label, an open preset breaker)', () => {
    const d = new Autoscaler(opts).decide({ ...stuck, waitingForRoom: 0 });
    expect(d).toMatchObject({ desired: 1, direction: 'hold', need: 1 });
    expect(d.reasons.at(-1)).toBe('fleet size matches demand');
  });

  it('sizes the extra room by the stuck work over the drain target', () => {
    // 40 stuck x 60 s over 300 s = 8 slots / 4 per node = 2 nodes beyond the 3 there are
    const d = new Autoscaler(opts).decide({ ...stuck, nodes: 3, queueDepth: 50, waitingForRoom: 40 });
    expect(d).toMatchObject({ current: 3, desired: 5, direction: 'up' });
  });
});
