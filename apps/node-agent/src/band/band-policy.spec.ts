import { type BandTask, BandPolicy, DEFAULT_BAND } from './band-policy.js';

const tasks: BandTask[] = [
  { key: 'r/high', priority: 10, budgetCpu: 100, startedAt: 1 },
  { key: 'r/low-old', priority: -5, budgetCpu: 80, startedAt: 2 },
  { key: 'r/low-new', priority: -5, budgetCpu: 60, startedAt: 3 },
];

function policy(over: Partial<typeof DEFAULT_BAND> = {}) {
  let t = 0;
  return new BandPolicy({ ...DEFAULT_BAND, sustainSamples: 2, ...over }, () => ++t);
}

describe('BandPolicy', () => {
  it('admits at or under the upper bound and refuses above it with a reason', () => {
    const p = policy();
    expect(p.admission()).toEqual({ admit: true });
    expect(p.observe(60, tasks).admit).toBe(true);
    const d = p.observe(60.1, tasks);
    expect(d).toMatchObject({ state: 'above', admit: false, throttle: [], restore: [] });
    expect(p.admission()).toEqual({ admit: false, reason: 'host CPU 60.1% is above the band\'s upper bound 60%' });
    expect(p.observe(50, tasks).admit).toBe(true);
  });

  it('throttles the lowest priority (newest first) after N samples above, one more per N samples', () => {
    const p = policy();
    expect(p.observe(90, tasks).throttle).toEqual([]);
    expect(p.observe(90, tasks).throttle).toEqual([{ key: 'r/low-new', cpuPercent: 10, reason: expect.stringContaining('priority -5') }]);
    expect(p.observe(90, tasks).throttle).toEqual([]);
    expect(p.observe(90, tasks).throttle.map((c) => c.key)).toEqual(['r/low-old']);
    p.observe(90, tasks);
    expect(p.observe(90, tasks).throttle.map((c) => c.key)).toEqual(['r/high']);
    p.observe(90, tasks);
    expect(p.observe(90, tasks).throttle).toEqual([]);
    expect(p.throttledKeys().sort()).toEqual(['r/high', 'r/low-new', 'r/low-old']);
  });

  it('needs the samples above to be consecutive', () => {
    const p = policy({ sustainSamples: 3 });
    p.observe(90, tasks);
    p.observe(90, tasks);
    p.observe(50, tasks);
    p.observe(90, tasks);
    expect(p.observe(90, tasks).throttle).toEqual([]);
    expect(p.observe(90, tasks).throttle).toHaveLength(1);
  });

  it('restores original budgets only below the lower bound (hysteresis)', () => {
    const p = policy();
    p.observe(90, tasks);
    p.observe(90, tasks);
    expect(p.throttledKeys()).toEqual(['r/low-new']);
    expect(p.observe(50, tasks).restore).toEqual([]);
    expect(p.state).toBe('ok');
    const d = p.observe(39, tasks);
    expect(d.state).toBe('below');
    expect(d.restore).toEqual([{ key: 'r/low-new', cpuPercent: 60, reason: expect.stringContaining('below 40%') }]);
    expect(p.throttledKeys()).toEqual([]);
  });

  it('forgets tasks that ended and never throttles a task already at or under the floor', () => {
    const p = policy();
    p.observe(90, tasks);
    p.observe(90, tasks);
    const rest = tasks.filter((t) => t.key !== 'r/low-new');
    p.observe(90, rest);
    expect(p.throttledKeys()).toEqual([]);
    const tiny = [{ key: 'r/tiny', priority: -100, budgetCpu: 5, startedAt: 9 }, ...rest];
    expect(p.observe(90, tiny).throttle.map((c) => c.key)).toEqual(['r/low-old']);
  });

  it('stamps decisions with the injected clock and refuses an inverted band', () => {
    const p = new BandPolicy(DEFAULT_BAND, () => 1234);
    expect(p.observe(10, []).at).toBe(1234);
    expect(() => new BandPolicy({ ...DEFAULT_BAND, low: 70, high: 60 }, () => 0)).toThrow(RangeError);
  });
});
