import { decideRestart, DEFAULT_RESTART_POLICY, formatDelay } from './backoff.js';

describe('restart backoff', () => {
  it('doubles the delay with each recent failure: 1 s, 2 s, 4 s, 8 s, then gives up at the 5th failure within 2 minutes', () => {
    let failures: number[] = [];
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const d = decideRestart(failures, 1000 + i * 10_000);
      if (d.action !== 'restart') throw new Error(`failure ${i + 1} gave up`);
      delays.push(d.delayMs);
      failures = d.recentFailures;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
    expect(decideRestart(failures, 50_000)).toEqual({ action: 'give-up', recentFailures: [1000, 11_000, 21_000, 31_000, 50_000] });
  });

  it('forgets failures older than the window, so a child that crashes now and then is restarted forever', () => {
    let failures: number[] = [];
    for (let i = 0; i < 20; i++) {
      const d = decideRestart(failures, i * 61_000);
      expect(d.action).toBe('restart');
      failures = d.recentFailures;
      expect(failures.length).toBeLessThanOrEqual(2);
    }
    expect(decideRestart([0], 120_000)).toEqual({ action: 'restart', delayMs: 1000, recentFailures: [120_000] });
    expect(decideRestart([0], 119_999)).toMatchObject({ action: 'restart', delayMs: 2000 });
  });

  it('caps the delay at the policy maximum', () => {
    const policy = { ...DEFAULT_RESTART_POLICY, maxFailures: 100 };
    const d = decideRestart(Array.from({ length: 10 }, (_, i) => i), 20, policy);
    expect(d).toMatchObject({ action: 'restart', delayMs: 30_000 });
  });

  it('formats delays for people', () => {
    expect([formatDelay(500), formatDelay(1000), formatDelay(2500), formatDelay(120_000)]).toEqual(['500 ms', '1 s', '2.5 s', '2 min']);
  });
});
