import { decideTimeout } from './timeout.js';
import { formatMs } from './retry.js';

describe('decideTimeout at its edges', () => {
  const started = { dispatchedAt: 0, startedAt: 1_000, timeoutMs: 5_000 };

  it('stops a task at exactly its timeout, not a millisecond later', () => {
    expect(decideTimeout(started, 6_000)).toMatchObject({ action: 'stop', reason: 'timed out: ran 5.0 s, limit 5.0 s' });
  });

  it('gives a stopped task 10 s of grace by default before the kill', () => {
    expect(decideTimeout(started, 6_000)).toMatchObject({ checkAt: 16_000 });
    const stopping = { ...started, stopRequestedAt: 6_000 };
    expect(decideTimeout(stopping, 15_999)).toEqual({ action: 'none', checkAt: 16_000 });
    expect(decideTimeout(stopping, 16_000)).toEqual({ action: 'kill', reason: 'still running 10.0 s after stop was requested' });
  });

  it('uses a configured start deadline', () => {
    expect(decideTimeout({ dispatchedAt: 100 }, 5_099, { startDeadlineMs: 5_000 })).toEqual({ action: 'none', checkAt: 5_100 });
    expect(decideTimeout({ dispatchedAt: 100 }, 5_100, { startDeadlineMs: 5_000 })).toEqual({ action: 'lost', reason: 'no start report within 5.0 s of dispatch' });
  });

  it('escalates a requested stop to a kill even before the task reported its start', () => {
    expect(decideTimeout({ dispatchedAt: 0, stopRequestedAt: 1_000 }, 11_000)).toMatchObject({ action: 'kill' });
  });
});

describe('formatMs', () => {
  it('switches from ms to s at exactly 1000 ms, and from s to min at exactly 60 s', () => {
    expect(formatMs(999.4)).toBe('999 ms');
    expect(formatMs(1_000)).toBe('1.0 s');
    expect(formatMs(59_949)).toBe('59.9 s');
    expect(formatMs(60_000)).toBe('1.0 min');
    expect(formatMs(90 * 60_000)).toBe('90.0 min');
  });
});
