import { decideRetry } from './retry.js';

describe('decideRetry: reasons and outcomes', () => {
  const base = { key: 'r.t', maxRetries: 1 };

  it('says why a succeeded or cancelled attempt is not retried, whatever retries are left', () => {
    expect(decideRetry({ ...base, attempt: 1, outcome: 'succeeded' })).toEqual({ retry: false, reason: 'attempt succeeded' });
    expect(decideRetry({ ...base, attempt: 1, outcome: 'cancelled' })).toEqual({ retry: false, reason: 'attempt was cancelled' });
    expect(decideRetry({ ...base, attempt: 1, outcome: 'cancelled', retryable: false })).toEqual({ retry: false, reason: 'attempt was cancelled' });
  });

  it('retries a node that rejected the task like a failure, seeding the jitter with the key', () => {
    const d = decideRetry({ ...base, attempt: 1, outcome: 'rejected', retryable: true });
    expect(d).toMatchObject({ retry: true, nextAttempt: 2, reason: expect.stringMatching(/^attempt 1 rejected; retry 1 of 1 in \d+(\.\d)? (ms|s)$/) });
    expect(decideRetry({ ...base, attempt: 1, outcome: 'rejected' })).toEqual(d);
  });

  it('retries the last allowed attempt and stops after it', () => {
    expect(decideRetry({ ...base, attempt: 1, outcome: 'timed-out' }, { jitter: 'none', initialDelayMs: 1500 })).toEqual({
      retry: true,
      nextAttempt: 2,
      delayMs: 1500,
      reason: 'attempt 1 timed-out; retry 1 of 1 in 1.5 s',
    });
    expect(decideRetry({ ...base, attempt: 2, outcome: 'timed-out' })).toEqual({ retry: false, reason: 'attempt 2 timed-out; no retries left (1 allowed)' });
  });
});
