/**
 * BandPolicy at its edges (issue 15: mutation testing of the node-agent deciders): the band's
 * bounds, samples exactly on a bound, the victim order's last tie-break, and the exact wording.
 */
import { type BandTask, BandPolicy, DEFAULT_BAND } from './band-policy.js';

const at = (over: Partial<typeof DEFAULT_BAND> = {}) => new BandPolicy({ ...DEFAULT_BAND, sustainSamples: 1, ...over }, () => 7);

describe('BandPolicy: the band itself', () => {
  it('defaults to 40-60%, 3 samples, a 10% floor', () => {
    expect(DEFAULT_BAND).toEqual({ low: 40, high: 60, sustainSamples: 3, floorPercent: 10 });
  });

  it('accepts 0 <= low < high <= 100 and refuses anything else, naming the band', () => {
    expect(() => at({ low: 0, high: 100 })).not.toThrow();
    expect(() => at({ low: 50, high: 50 })).toThrow(new RangeError('band 50-50% is not 0 <= low < high <= 100'));
    expect(() => at({ low: -1, high: 60 })).toThrow(RangeError);
    expect(() => at({ low: 40, high: 101 })).toThrow(RangeError);
  });
});

describe('BandPolicy: samples on the bounds', () => {
  it('exactly the lower bound is inside the band (no restore), just under it is below', () => {
    const p = at();
    const t: BandTask[] = [{ key: 'a', priority: 0, budgetCpu: 50, startedAt: 1 }];
    p.observe(61, t);
    expect(p.observe(40, t)).toMatchObject({ state: 'ok', restore: [] });
    expect(p.observe(39.9, t)).toEqual({ at: 7, hostCpu: 39.9, state: 'below', admit: true, throttle: [], restore: [{ key: 'a', cpuPercent: 50, reason: 'host CPU 39.9% below 40%' }] });
  });

  it('a throttle says how long the host was above and which priority it picked', () => {
    const p = at({ sustainSamples: 2 });
    const t: BandTask[] = [{ key: 'a', priority: 3, budgetCpu: 50, startedAt: 1 }];
    p.observe(70, t);
    expect(p.observe(75, t).throttle).toEqual([{ key: 'a', cpuPercent: 10, reason: 'host CPU 75% above 60% for 2 samples; priority 3' }]);
  });

  it('the streak starts again after each throttle', () => {
    const p = at({ sustainSamples: 2 });
    const t: BandTask[] = [
      { key: 'a', priority: 0, budgetCpu: 50, startedAt: 1 },
      { key: 'b', priority: 0, budgetCpu: 50, startedAt: 2 },
    ];
    p.observe(70, t);
    expect(p.observe(70, t).throttle).toHaveLength(1);
    expect(p.observe(70, t).throttle).toHaveLength(0);
    expect(p.observe(70, t).throttle).toHaveLength(1);
  });

  it('a sample in the band admits again and is reported as ok', () => {
    const p = at();
    p.observe(61, []);
    expect(p.state).toBe('above');
    expect(p.admission().admit).toBe(false);
    p.observe(60, []);
    expect(p.state).toBe('ok');
    expect(p.admission()).toEqual({ admit: true });
  });
});

describe('BandPolicy: the victim', () => {
  it('ties on priority and start time are broken by key, and a task exactly at the floor is never picked', () => {
    const p = at();
    const t: BandTask[] = [
      { key: 'r/b', priority: 0, budgetCpu: 50, startedAt: 5 },
      { key: 'r/a', priority: 0, budgetCpu: 50, startedAt: 5 },
      { key: 'r/floor', priority: -9, budgetCpu: 10, startedAt: 9 },
    ];
    expect(p.observe(90, t).throttle.map((c) => c.key)).toEqual(['r/a']);
    expect(p.observe(90, t).throttle.map((c) => c.key)).toEqual(['r/b']);
    expect(p.observe(90, t).throttle).toEqual([]);
  });

  it('a lower priority is throttled first even when it started earlier or its key sorts later', () => {
    const p = at();
    const t: BandTask[] = [
      { key: 'r/a-important', priority: 0, budgetCpu: 50, startedAt: 9 },
      { key: 'r/z-cheap', priority: -5, budgetCpu: 50, startedAt: 1 },
      { key: 'r/m-cheap-same-start', priority: -5, budgetCpu: 50, startedAt: 1 },
    ];
    expect(p.observe(90, t).throttle.map((c) => c.key)).toEqual(['r/m-cheap-same-start']);
    expect(p.observe(90, t).throttle.map((c) => c.key)).toEqual(['r/z-cheap']);
    expect(p.observe(90, t).throttle.map((c) => c.key)).toEqual(['r/a-important']);
  });

  it('reads as ok before any sample', () => {
    expect(at().state).toBe('ok');
  });

  it('a throttled task that ended is not restored', () => {
    const p = at();
    p.observe(90, [{ key: 'gone', priority: 0, budgetCpu: 50, startedAt: 1 }]);
    expect(p.throttledKeys()).toEqual(['gone']);
    expect(p.observe(10, []).restore).toEqual([]);
  });
});
