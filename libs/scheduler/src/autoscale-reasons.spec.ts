import { Autoscaler, type FleetSignal } from './autoscale.js';

const idle: FleetSignal = { now: 0, nodes: 4, queueDepth: 0, oldestWaitMs: 0, running: 8, cpuUtilisation: 0.6, expectedTaskMs: 60_000, slotsPerNode: 8 };
const opts = { minNodes: 2, maxNodes: 20, upWaitMs: 30_000, stabiliseMs: 60_000, upCoolDownMs: 120_000, downCoolDownMs: 600_000 };

describe('Autoscaler: the reasons of a decision', () => {
  it('first explains the demand: running and queued work over the drain target, and CPU over the target utilisation', () => {
    // 30 x 90.5 s over 300 s = 10 slots + 20 running = 30 slots / 8 = 4 nodes; 4 x 45.6% / 75% = 3 nodes
    const d = new Autoscaler(opts).decide({ ...idle, queueDepth: 30, running: 20, expectedTaskMs: 90_500, cpuUtilisation: 0.456 });
    expect(d).toEqual({
      current: 4,
      desired: 4,
      direction: 'hold',
      need: 4,
      reasons: ['demand: 20 running + 30 queued x 91 s to drain in 300 s -> 4 node(s); CPU 46% of 4 node(s) at target 75% -> 3 node(s)', 'fleet size matches demand'],
    });
  });

  it('names the minimum and the maximum when the fleet is outside them', () => {
    expect(new Autoscaler(opts).decide({ ...idle, nodes: 1 }).reasons.at(-1)).toBe('below the minimum of 2 node(s)');
    expect(new Autoscaler(opts).decide({ ...idle, nodes: 25 }).reasons.at(-1)).toBe('above the maximum of 20 node(s)');
  });

  it('says what it would grow to while there is no pressure yet', () => {
    const d = new Autoscaler(opts).decide({ ...idle, running: 40, cpuUtilisation: 0.89 });
    expect(d).toMatchObject({ direction: 'hold', desired: 4, need: 5 });
    expect(d.reasons.at(-1)).toBe('would grow to 5 but no pressure yet (oldest wait 0 s < 30 s, CPU < 90%)');
  });

  it('says what it would shrink to while the queue is not empty', () => {
    const d = new Autoscaler(opts).decide({ ...idle, nodes: 10, queueDepth: 1, cpuUtilisation: 0.1 });
    expect(d.reasons.at(-1)).toBe('would shrink to 2 but the queue is not empty or CPU is above 50%');
  });

  it('names the step and the quiet time when it scales down', () => {
    const a = new Autoscaler({ ...opts, maxStepDown: 3 });
    const quiet = { ...idle, nodes: 10, running: 2, cpuUtilisation: 0.1 };
    a.decide({ ...quiet, now: 0 });
    const d = a.decide({ ...quiet, now: 90_000 });
    expect(d).toMatchObject({ current: 10, desired: 7, direction: 'down' });
    expect(d.reasons.at(-1)).toBe('scale down by 3: quiet for 90 s');
  });
});

describe('Autoscaler: pressure at exactly its thresholds', () => {
  it('scales up on CPU alone once utilisation reaches highUtilisation, and says so', () => {
    const d = new Autoscaler(opts).decide({ ...idle, running: 40, cpuUtilisation: 0.9 });
    expect(d).toMatchObject({ current: 4, desired: 5, direction: 'up' });
    expect(d.reasons.at(-1)).toBe('scale up: CPU at 90%');
  });

  it('counts queued work as stuck once it waited exactly upWaitMs', () => {
    const d = new Autoscaler(opts).decide({ ...idle, queueDepth: 1, oldestWaitMs: 30_000 });
    expect(d).toMatchObject({ desired: 5, direction: 'up', need: 5 });
    expect(d.reasons[0]).toMatch(/; 1 queued task\(s\) no node took for 30 s need room beyond the 4 node\(s\) -> 5 node\(s\)$/);
    expect(d.reasons.at(-1)).toBe('scale up: oldest task waited 30 s');
  });

  it('a fleet at exactly lowUtilisation with an empty queue is quiet', () => {
    const a = new Autoscaler(opts);
    const atLow = { ...idle, nodes: 10, running: 2, cpuUtilisation: 0.5 };
    expect(a.decide({ ...atLow, now: 0 }).reasons.at(-1)).toBe('quiet for 0 s of the 60 s needed before scaling down');
    expect(a.decide({ ...atLow, now: 60_000 })).toMatchObject({ desired: 9, direction: 'down' });
  });
});

describe('Autoscaler: the quiet window', () => {
  it('keeps counting quiet time across a step up to the minimum', () => {
    const a = new Autoscaler({ ...opts, downCoolDownMs: 60_000 });
    const quiet = { ...idle, running: 2, cpuUtilisation: 0.1 };
    expect(a.decide({ ...quiet, nodes: 1, now: 0 })).toMatchObject({ desired: 2, direction: 'up' });
    // the caller got more nodes than asked; quiet since 0, cool-down over at 60 s
    const d = a.decide({ ...quiet, nodes: 5, now: 60_000 });
    expect(d).toMatchObject({ desired: 4, direction: 'down' });
    expect(d.reasons.at(-1)).toBe('scale down by 1: quiet for 60 s');
  });

  it('starts no cool-down before its first change', () => {
    const a = new Autoscaler(opts);
    expect(a.decide({ ...idle, now: 5, running: 40, cpuUtilisation: 0.95 }).direction).toBe('up');
    expect(a.state()).toEqual({ lastChangeAt: 5, lastDirection: 'up' });
  });
});
