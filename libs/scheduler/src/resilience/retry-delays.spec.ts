import { decideRetry } from './retry.js';

describe('decideRetry: the delay in its reason', () => {
  const failed = { key: 'r.t', maxRetries: 5, outcome: 'failed' as const };
  const plain = (initialDelayMs: number) => ({ jitter: 'none' as const, initialDelayMs });

  it('is in ms below one second and in seconds from exactly one second', () => {
    expect(decideRetry({ ...failed, attempt: 1 }, plain(999)).reason).toBe('attempt 1 failed; retry 1 of 5 in 999 ms');
    expect(decideRetry({ ...failed, attempt: 1 }, plain(1000)).reason).toBe('attempt 1 failed; retry 1 of 5 in 1.0 s');
  });

  it('is in seconds below one minute and in minutes from exactly one minute', () => {
    expect(decideRetry({ ...failed, attempt: 1 }, plain(59_900)).reason).toBe('attempt 1 failed; retry 1 of 5 in 59.9 s');
    expect(decideRetry({ ...failed, attempt: 1 }, plain(60_000)).reason).toBe('attempt 1 failed; retry 1 of 5 in 1.0 min');
  });

  it('grows into minutes with the attempts (1 min doubled twice is 4.0 min)', () => {
    expect(decideRetry({ ...failed, attempt: 3 }, plain(60_000))).toEqual({
      retry: true,
      nextAttempt: 4,
      delayMs: 240_000,
      reason: 'attempt 3 failed; retry 3 of 5 in 4.0 min',
    });
  });
});
