import { decideTimeout } from './timeout.js';

describe('decideTimeout', () => {
  it('waits for the start report until the start deadline, then calls the attempt lost', () => {
    expect(decideTimeout({ dispatchedAt: 0 }, 59_999)).toEqual({ action: 'none', checkAt: 60_000 });
    expect(decideTimeout({ dispatchedAt: 0 }, 60_000)).toEqual({ action: 'lost', reason: 'no start report within 1.0 min of dispatch' });
  });

  it('stops a task past its timeout and kills it after the grace', () => {
    const a = { dispatchedAt: 0, startedAt: 1_000, timeoutMs: 5_000 };
    expect(decideTimeout(a, 5_999)).toEqual({ action: 'none', checkAt: 6_000 });
    expect(decideTimeout(a, 6_500, { killGraceMs: 2_000 })).toEqual({ action: 'stop', reason: 'timed out: ran 5.5 s, limit 5.0 s', checkAt: 8_500 });
    expect(decideTimeout({ ...a, stopRequestedAt: 6_500 }, 8_000, { killGraceMs: 2_000 })).toEqual({ action: 'none', checkAt: 8_500 });
    expect(decideTimeout({ ...a, stopRequestedAt: 6_500 }, 8_500, { killGraceMs: 2_000 })).toEqual({
      action: 'kill',
      reason: 'still running 2.0 s after stop was requested',
    });
  });

  it('never times out a started task without a timeout', () => {
    expect(decideTimeout({ dispatchedAt: 0, startedAt: 1 }, 1e12)).toEqual({ action: 'none' });
  });
});
