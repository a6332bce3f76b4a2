import { BreakerBoard, CircuitBreaker } from './breaker.js';
import { Placer } from '../placement/placer.js';
import { demand, nodeView } from '../placement/test-fixtures.js';

describe('CircuitBreaker', () => {
  const clock = { t: 0 };
  const make = () => new CircuitBreaker('node n1', { now: () => clock.t, failureThreshold: 3, windowMs: 10_000, coolDownMs: 5_000 });
  beforeEach(() => {
    clock.t = 0;
  });

  it('opens after N failures inside the window only', () => {
    const b = make();
    b.recordFailure();
    clock.t = 6_000;
    b.recordFailure();
    clock.t = 11_000; // the first failure left the window
    expect(b.recordFailure()).toBeUndefined();
    expect(b.state()).toBe('closed');
    clock.t = 12_000;
    expect(b.recordFailure()).toEqual({ from: 'closed', to: 'open', reason: '3 failures in 10.0 s' });
    expect(b.allowance()).toBe(0);
    expect(b.describe()).toBe('circuit open for node n1 (3 failures in 10.0 s); half-open in 5.0 s');
  });

  it('goes half-open after the cool-down, admits one trial, then closes on success', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.recordFailure();
    clock.t = 4_999;
    expect(b.state()).toBe('open');
    clock.t = 5_000;
    expect(b.state()).toBe('half-open');
    expect(b.allowance()).toBe(1);
    b.notePlaced();
    expect(b.allowance()).toBe(0);
    expect(b.recordSuccess()).toEqual({ from: 'half-open', to: 'closed', reason: '1 trial placement(s) succeeded' });
    expect(b.allowance()).toBe(Infinity);
    expect(b.snapshot()).toEqual({ state: 'closed', failuresInWindow: 0 });
  });

  it('reopens when the trial fails, and forgives a trial that never reports', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.recordFailure();
    clock.t = 5_000;
    b.notePlaced();
    expect(b.recordFailure()).toEqual({ from: 'half-open', to: 'open', reason: 'a trial placement failed' });
    expect(b.snapshot()).toEqual({ state: 'open', failuresInWindow: 0, openedAt: 5_000, halfOpenAt: 10_000 });
    clock.t = 10_000;
    b.notePlaced();
    expect(b.allowance()).toBe(0);
    clock.t = 15_000;
    expect(b.allowance()).toBe(1);
  });
});

describe('BreakerBoard as a placement gate', () => {
  it('keeps the Placer off an open node and lets one trial through when half-open', () => {
    const clock = { t: 0 };
    const board = new BreakerBoard('node', { now: () => clock.t, failureThreshold: 2, coolDownMs: 1_000 });
    const p = new Placer({ now: () => clock.t, nodeBreakers: board });
    board.recordFailure('a');
    expect(board.recordFailure('a')?.to).toBe('open');
    for (let i = 0; i < 3; i++) p.enqueue(demand(`t${i}`));
    const r = p.round([nodeView('a')]);
    expect(r.placed).toEqual([]);
    expect(r.waiting[0]!.reason).toBe('circuit open for node a (2 failures in 1.0 min); half-open in 1.0 s');
    expect(board.notClosed()).toEqual({ a: { state: 'open', failuresInWindow: 0, openedAt: 0, halfOpenAt: 1_000 } });
    clock.t = 1_000;
    const r2 = p.round([nodeView('a')]);
    expect(r2.placed.map((x) => x.key)).toEqual(['t0']);
    expect(r2.waiting[0]!.reason).toBe('circuit half-open for node a: waiting for the trial placement to finish');
    board.recordSuccess('a');
    expect(p.round([nodeView('a')]).placed).toHaveLength(2);
  });
});
