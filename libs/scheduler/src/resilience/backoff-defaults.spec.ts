import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs: defaults and odd inputs', () => {
  it('starts at 1 s, doubles, and caps at 5 min by default', () => {
    expect([1, 2, 3].map((a) => backoffDelayMs(a, 'k', { jitter: 'none' }))).toEqual([1_000, 2_000, 4_000]);
    expect(backoffDelayMs(20, 'k', { jitter: 'none' })).toBe(300_000);
  });

  it('grows the jittered delays by the exponent (the plain exponential one always doubles: cockatiel ignores it there)', () => {
    const delays = (exponent?: number) => [4, 5, 6].map((a) => backoffDelayMs(a, 'k', { initialDelayMs: 100, maxDelayMs: 1e9, ...(exponent ? { exponent } : {}) }));
    expect(delays(2)).toEqual(delays());
    expect(delays(4).reduce((a, b) => a + b)).toBeGreaterThan(4 * delays(2).reduce((a, b) => a + b));
    expect(backoffDelayMs(3, 'k', { jitter: 'none', initialDelayMs: 100, exponent: 4 })).toBe(400);
  });

  it('reads an attempt below 1 as the first, and a fractional one by its whole part', () => {
    const first = backoffDelayMs(1, 'k', { jitter: 'none' });
    expect(backoffDelayMs(0, 'k', { jitter: 'none' })).toBe(first);
    expect(backoffDelayMs(-3, 'k', { jitter: 'none' })).toBe(first);
    expect(backoffDelayMs(2.9, 'k', { jitter: 'none' })).toBe(2_000);
  });

  it('jitters by default, seeded by the key: the same key repeats its delay, another key differs', () => {
    const a = backoffDelayMs(3, 'run.a');
    expect(backoffDelayMs(3, 'run.a')).toBe(a);
    expect(backoffDelayMs(3, 'run.a', { seed: 0 })).toBe(a);
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, 'run.b'))).not.toEqual([1, 2, 3, 4].map((n) => backoffDelayMs(n, 'run.a')));
    expect(Number.isInteger(a)).toBe(true);
  });
});
