import { Autoscaler, type FleetSignal } from './autoscale.js';

// 4 nodes of 8 slots, nothing queued or running, CPU 10%: the demand asks for 1 node
const quiet: FleetSignal = { now: 0, nodes: 4, queueDepth: 0, oldestWaitMs: 0, running: 0, cpuUtilisation: 0.1, expectedTaskMs: 60_000, slotsPerNode: 8 };
// 4 nodes at 95% CPU: pressure, the demand asks for 6 nodes
const busy: FleetSignal = { ...quiet, running: 40, cpuUtilisation: 0.95 };

describe('Autoscaler: the default windows', () => {
  it('scales down only after 5 minutes of quiet', () => {
    const a = new Autoscaler();
    expect(a.decide({ ...quiet, now: 0 }).reasons.at(-1)).toBe('quiet for 0 s of the 300 s needed before scaling down');
    expect(a.decide({ ...quiet, now: 299_999 })).toMatchObject({ direction: 'hold', desired: 4, need: 1 });
    expect(a.decide({ ...quiet, now: 300_000 })).toMatchObject({ direction: 'down', desired: 3 });
  });

  it('cools down 10 minutes after scaling down', () => {
    const a = new Autoscaler();
    a.decide({ ...quiet, now: 0 });
    expect(a.decide({ ...quiet, now: 300_000 })).toMatchObject({ direction: 'down', desired: 3 });
    const three = { ...quiet, nodes: 3 };
    a.decide({ ...three, now: 300_000 }); // quiet again from here
    const d = a.decide({ ...three, now: 600_001 });
    expect(d).toMatchObject({ direction: 'hold', desired: 3 });
    expect(d.reasons.at(-1)).toBe('cooling down after scaling down: 300 s left');
    expect(a.decide({ ...three, now: 900_000 })).toMatchObject({ direction: 'down', desired: 2 });
  });

  it('cools down 2 minutes after scaling up', () => {
    const a = new Autoscaler();
    expect(a.decide({ ...busy, now: 0 })).toMatchObject({ direction: 'up', desired: 6 });
    const six = { ...busy, nodes: 6 };
    const d = a.decide({ ...six, now: 119_999 });
    expect(d).toMatchObject({ direction: 'hold', desired: 6 });
    expect(d.reasons.at(-1)).toBe('cooling down after scaling up: 1 s left');
    expect(a.decide({ ...six, now: 120_000 })).toMatchObject({ direction: 'up', desired: 8 });
  });
});

describe('Autoscaler: a fleet at exactly the maximum', () => {
  it('holds when the demand matches it, with no change recorded', () => {
    const a = new Autoscaler({ maxNodes: 4 });
    const d = a.decide({ ...quiet, running: 32, cpuUtilisation: 0.6 });
    expect(d).toEqual({
      current: 4,
      desired: 4,
      direction: 'hold',
      need: 4,
      reasons: ['demand: 32 running + 0 queued x 60 s to drain in 300 s -> 4 node(s); CPU 60% of 4 node(s) at target 75% -> 4 node(s)', 'fleet size matches demand'],
    });
    expect(a.state()).toEqual({});
  });

  it('holds at the maximum when the demand asks for more', () => {
    const a = new Autoscaler({ maxNodes: 4 });
    expect(a.decide({ ...busy, now: 0 })).toMatchObject({ direction: 'hold', desired: 4, need: 4 });
    expect(a.state()).toEqual({});
  });
});

describe('Autoscaler: the times in its reasons are in seconds', () => {
  it('says how long the oldest task waited while there is no pressure yet', () => {
    const d = new Autoscaler().decide({ ...quiet, running: 40, cpuUtilisation: 0.89, queueDepth: 2, oldestWaitMs: 12_400 });
    expect(d.reasons.at(-1)).toBe('would grow to 6 but no pressure yet (oldest wait 12 s < 30 s, CPU < 90%)');
  });

  it('says how long the fleet has been quiet before the window is over', () => {
    const a = new Autoscaler({ stabiliseMs: 60_000 });
    a.decide({ ...quiet, now: 0 });
    expect(a.decide({ ...quiet, now: 45_400 }).reasons.at(-1)).toBe('quiet for 45 s of the 60 s needed before scaling down');
  });
});
