import { backoffDelayMs, retryBackoff } from './backoff.js';
import { decideRetry } from './retry.js';

describe('backoffDelayMs', () => {
  it('grows exponentially without jitter and stops at the cap', () => {
    const d = [1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, 'k', { jitter: 'none', initialDelayMs: 100, maxDelayMs: 1000 }));
    expect(d).toEqual([100, 200, 400, 800, 1000]);
  });

  it('repeats the same jittered delays for the same key and seed, and leaves Math.random alone', () => {
    const random = Math.random;
    const a = [1, 2, 3, 4].map((n) => backoffDelayMs(n, 'run.task', { seed: 7 }));
    const b = [1, 2, 3, 4].map((n) => backoffDelayMs(n, 'run.task', { seed: 7 }));
    const other = [1, 2, 3, 4].map((n) => backoffDelayMs(n, 'run.task', { seed: 8 }));
    expect(a).toEqual(b);
    expect(other).not.toEqual(a);
    expect(Math.random).toBe(random);
  });

  it('keeps jittered delays within the cap and trending upward', () => {
    for (let k = 0; k < 50; k++) {
      const d = Array.from({ length: 12 }, (_, i) => backoffDelayMs(i + 1, `task-${k}`, { initialDelayMs: 1000, maxDelayMs: 60_000 }));
      for (const x of d) expect(x).toBeGreaterThanOrEqual(0);
      for (const x of d) expect(x).toBeLessThanOrEqual(60_000);
      expect(d.slice(8).reduce((a, b) => a + b)).toBeGreaterThan(d.slice(0, 4).reduce((a, b) => a + b));
    }
  });

  it('offers the engine signature', () => {
    expect(retryBackoff({ jitter: 'none', initialDelayMs: 50 })(3, 't')).toBe(200);
  });
});

describe('decideRetry', () => {
  const base = { key: 'r.t', maxRetries: 2 };
  it('retries failures while retries are left, with the backoff delay', () => {
    const d = decideRetry({ ...base, attempt: 1, outcome: 'failed' }, { jitter: 'none', initialDelayMs: 500 });
    expect(d).toEqual({ retry: true, nextAttempt: 2, delayMs: 500, reason: 'attempt 1 failed; retry 1 of 2 in 500 ms' });
    expect(decideRetry({ ...base, attempt: 2, outcome: 'timed-out' }, { jitter: 'none' })).toMatchObject({ retry: true, nextAttempt: 3, delayMs: 2000 });
  });

  it('stops when retries are used up, on success, cancellation or a non-retryable error', () => {
    expect(decideRetry({ ...base, attempt: 3, outcome: 'lost' })).toEqual({ retry: false, reason: 'attempt 3 lost; no retries left (2 allowed)' });
    expect(decideRetry({ ...base, attempt: 1, outcome: 'succeeded' }).retry).toBe(false);
    expect(decideRetry({ ...base, attempt: 1, outcome: 'cancelled' }).retry).toBe(false);
    expect(decideRetry({ ...base, attempt: 1, outcome: 'failed', retryable: false })).toEqual({
      retry: false,
      reason: 'attempt 1 failed with a non-retryable error',
    });
    expect(decideRetry({ key: 'x', attempt: 1, maxRetries: 0, outcome: 'failed' }).retry).toBe(false);
  });
});
