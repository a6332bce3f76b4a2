/**
 * CircuitBreaker edges that mutation testing showed unobserved (issue 15): failures while open,
 * several half-open trials, the window boundary, successes while closed, and the board's
 * handling of keys it has never seen.
 */
import { BreakerBoard, CircuitBreaker, type BreakerOptions } from './breaker.js';

function breaker(over: Partial<BreakerOptions> = {}) {
  const clock = { t: 0 };
  const b = new CircuitBreaker('node n1', { now: () => clock.t, failureThreshold: 3, windowMs: 10_000, coolDownMs: 5_000, ...over });
  const openIt = () => {
    for (let i = 0; i < 3; i++) b.recordFailure();
    expect(b.state()).toBe('open');
  };
  return { b, clock, openIt };
}

describe('CircuitBreaker: failures while open', () => {
  it('are ignored: no transition, and the cool-down is not restarted', () => {
    const { b, clock, openIt } = breaker();
    openIt();
    clock.t = 4_000;
    for (let i = 0; i < 5; i++) expect(b.recordFailure()).toBeUndefined();
    expect(b.snapshot()).toEqual({ state: 'open', failuresInWindow: 0, openedAt: 0, halfOpenAt: 5_000 });
    clock.t = 5_000;
    expect(b.state()).toBe('half-open');
  });

  it('are not counted towards the next opening once the breaker closed again', () => {
    const { b, clock, openIt } = breaker();
    openIt();
    clock.t = 1_000;
    b.recordFailure();
    b.recordFailure();
    clock.t = 5_000;
    b.notePlaced();
    expect(b.recordSuccess()?.to).toBe('closed');
    expect(b.recordFailure()).toBeUndefined();
    expect(b.state()).toBe('closed');
  });
});

describe('CircuitBreaker: several half-open trials (halfOpenTrials > 1)', () => {
  it('admits that many trials, and closes only when all of them succeeded', () => {
    const { b, clock, openIt } = breaker({ halfOpenTrials: 3 });
    openIt();
    clock.t = 5_000;
    expect(b.allowance()).toBe(3);
    b.notePlaced();
    b.notePlaced();
    expect(b.allowance()).toBe(1);
    b.notePlaced();
    expect(b.allowance()).toBe(0);
    expect(b.recordSuccess()).toBeUndefined();
    expect(b.recordSuccess()).toBeUndefined();
    expect(b.state()).toBe('half-open');
    expect(b.recordSuccess()).toEqual({ from: 'half-open', to: 'closed', reason: '3 trial placement(s) succeeded' });
    expect(b.allowance()).toBe(Infinity);
  });

  it('one failed trial among them reopens the breaker, and the next half-open starts with fresh trials', () => {
    const { b, clock, openIt } = breaker({ halfOpenTrials: 2 });
    openIt();
    clock.t = 5_000;
    b.notePlaced();
    b.notePlaced();
    expect(b.recordSuccess()).toBeUndefined();
    expect(b.recordFailure()).toEqual({ from: 'half-open', to: 'open', reason: 'a trial placement failed' });
    expect(b.allowance()).toBe(0);
    clock.t = 10_000;
    expect(b.allowance()).toBe(2);
    b.notePlaced();
    expect(b.recordSuccess()).toBeUndefined();
    b.notePlaced();
    expect(b.recordSuccess()?.to).toBe('closed');
  });

  it('forgives unreported trials after a cool-down only once every trial was placed', () => {
    const { b, clock, openIt } = breaker({ halfOpenTrials: 3 });
    openIt();
    clock.t = 5_000;
    b.notePlaced();
    b.notePlaced();
    clock.t = 20_000;
    expect(b.allowance()).toBe(1);
    b.notePlaced();
    expect(b.allowance()).toBe(0);
    clock.t = 24_999;
    expect(b.allowance()).toBe(0);
    clock.t = 25_000;
    expect(b.allowance()).toBe(3);
  });

  it('a forgiven round keeps the trials that did succeed', () => {
    const { b, clock, openIt } = breaker({ halfOpenTrials: 2 });
    openIt();
    clock.t = 5_000;
    b.notePlaced();
    b.notePlaced();
    b.recordSuccess();
    clock.t = 10_000;
    expect(b.allowance()).toBe(1);
  });
});

describe('CircuitBreaker: window and successes while closed', () => {
  it('a failure exactly windowMs old has left the window', () => {
    const { b, clock } = breaker();
    b.recordFailure();
    clock.t = 5_000;
    b.recordFailure();
    clock.t = 10_000;
    expect(b.recordFailure()).toBeUndefined();
    expect(b.snapshot()).toEqual({ state: 'closed', failuresInWindow: 2 });
    clock.t = 10_001;
    expect(b.recordFailure()?.to).toBe('open');
  });

  it('a success while closed changes nothing: no transition, the failures in the window still count', () => {
    const { b } = breaker();
    b.recordFailure();
    b.recordFailure();
    expect(b.recordSuccess()).toBeUndefined();
    expect(b.recordFailure()).toEqual({ from: 'closed', to: 'open', reason: '3 failures in 10.0 s' });
  });

  it('a success while open changes nothing', () => {
    const { b, openIt } = breaker();
    openIt();
    expect(b.recordSuccess()).toBeUndefined();
    expect(b.state()).toBe('open');
  });

  it('notePlaced outside half-open uses up no trial', () => {
    const { b, clock, openIt } = breaker();
    b.notePlaced();
    openIt();
    b.notePlaced();
    clock.t = 5_000;
    expect(b.allowance()).toBe(1);
  });

  it('describes each state', () => {
    const { b, clock, openIt } = breaker();
    expect(b.describe()).toBe('circuit closed for node n1');
    openIt();
    clock.t = 1_000;
    expect(b.describe()).toBe('circuit open for node n1 (3 failures in 10.0 s); half-open in 4.0 s');
    clock.t = 5_000;
    expect(b.describe()).toBe('circuit half-open for node n1: waiting for the trial placement to finish');
  });

  it('defaults: 5 failures in 60 s open it for 30 s, one trial', () => {
    const clock = { t: 0 };
    const b = new CircuitBreaker('x', { now: () => clock.t });
    for (let i = 0; i < 4; i++) expect(b.recordFailure()).toBeUndefined();
    expect(b.recordFailure()).toEqual({ from: 'closed', to: 'open', reason: '5 failures in 1.0 min' });
    clock.t = 29_999;
    expect(b.state()).toBe('open');
    clock.t = 30_000;
    expect(b.allowance()).toBe(1);
  });
});

describe('BreakerBoard: keys it has never seen', () => {
  const make = () => {
    const clock = { t: 0 };
    return { clock, board: new BreakerBoard('node', { now: () => clock.t, failureThreshold: 1, coolDownMs: 1_000 }) };
  };

  it('reads as closed with unlimited allowance, and a success or placement for them is a no-op', () => {
    const { board } = make();
    expect(board.state('ghost')).toBe('closed');
    expect(board.allowance('ghost')).toBe(Infinity);
    expect(board.recordSuccess('ghost')).toBeUndefined();
    expect(() => board.notePlaced('ghost')).not.toThrow();
    expect(board.notClosed()).toEqual({});
    expect(board.describe('ghost')).toBe('circuit closed for node ghost');
  });

  it('notePlaced and recordSuccess reach the breaker of a known key', () => {
    const { board, clock } = make();
    board.recordFailure('a');
    expect(board.state('a')).toBe('open');
    clock.t = 1_000;
    expect(board.allowance('a')).toBe(1);
    board.notePlaced('a');
    expect(board.allowance('a')).toBe(0);
    expect(board.recordSuccess('a')?.to).toBe('closed');
    expect(board.state('a')).toBe('closed');
  });

  it('notClosed lists only the breakers that are not closed; forget drops a key', () => {
    const { board } = make();
    board.get('closed-one');
    board.recordFailure('b');
    expect(Object.keys(board.notClosed())).toEqual(['b']);
    board.forget('b');
    expect(board.state('b')).toBe('closed');
    expect(board.notClosed()).toEqual({});
  });
});
