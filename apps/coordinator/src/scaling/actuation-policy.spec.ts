import { ActuationPolicy } from './actuation-policy.js';

const opts = { minReplicas: 1, maxReplicas: 5, coolDownMs: 60_000 };
const up = (desired: number, current = 1) => ({ direction: 'up' as const, desired, current });
const down = (desired: number, current = 3) => ({ direction: 'down' as const, desired, current });
const hold = (current: number) => ({ direction: 'hold' as const, desired: current, current });

describe('ActuationPolicy', () => {
  it('does nothing on hold decisions before any up/down, then acts once per target', () => {
    const p = new ActuationPolicy(opts);
    expect(p.next(hold(1), 0, 0)).toBeUndefined();
    const req = p.next(up(3), 0, 1000);
    expect(req).toEqual({ target: 3, current: 1, direction: 'up' });
    p.done(req!, 'applied', 1000);
    // nodes are still starting: a hold reporting 1 live node does not undo the scale-up
    expect(p.next(hold(1), 0, 2000)).toBeUndefined();
    expect(p.wanted()).toBe(3);
  });

  it('keeps the target within the bounds', () => {
    const p = new ActuationPolicy(opts);
    expect(p.next(up(40), 0, 0)?.target).toBe(5);
    p.done({ target: 5, current: 1, direction: 'up' }, 'applied', 0);
    expect(p.next(down(0, 5), 0, 120_000)?.target).toBe(1);
  });

  it('never goes below the nodes that run work', () => {
    const p = new ActuationPolicy(opts);
    expect(p.next(down(1, 4), 3, 0)).toEqual({ target: 3, current: 4, direction: 'down' });
  });

  it('waits out the cool-down after an applied change (no flapping), then acts on the latest target', () => {
    const p = new ActuationPolicy(opts);
    p.done(p.next(up(4), 0, 0)!, 'applied', 0);
    expect(p.coolDownUntil(10_000)).toBe(60_000);
    expect(p.next(down(2, 4), 0, 10_000)).toBeUndefined();
    expect(p.next(hold(4), 0, 59_999)).toBeUndefined();
    expect(p.next(hold(4), 0, 60_000)).toEqual({ target: 2, current: 4, direction: 'down' });
    expect(p.coolDownUntil(60_000)).toBeUndefined();
  });

  it('retries a failed attempt on the next decision, a hold included, without a cool-down', () => {
    const p = new ActuationPolicy(opts);
    const req = p.next(up(2), 0, 0)!;
    p.done(req, 'failed', 0);
    expect(p.next(hold(1), 0, 5000)).toEqual(req);
    p.done(req, 'unchanged', 5000);
    expect(p.next(hold(1), 0, 10_000)).toBeUndefined();
    expect(p.coolDownUntil(10_000)).toBeUndefined();
  });
});

describe('ActuationPolicy: nodes asked for that never came', () => {
  it('lowers the target to the live nodes once a hold says the fleet matches the demand, after the cool-down', () => {
    const p = new ActuationPolicy(opts);
    p.done(p.next(up(2, 1), 0, 0)!, 'applied', 0);
    // still short of the demand (cooling down, need 2): the pending node stays wanted
    expect(p.next({ ...hold(1), need: 2 }, 0, 70_000)).toBeUndefined();
    expect(p.wanted()).toBe(2);
    // the queue drained before the node came: need 1 = current 1
    expect(p.next({ ...hold(1), need: 1 }, 0, 80_000)).toEqual({ target: 1, current: 1, direction: 'down' });
    // within the cool-down of the scale-up it waits
    const q = new ActuationPolicy(opts);
    q.done(q.next(up(2, 1), 0, 0)!, 'applied', 0);
    expect(q.next({ ...hold(1), need: 1 }, 0, 10_000)).toBeUndefined();
    expect(q.next({ ...hold(1), need: 1 }, 0, 60_000)).toEqual({ target: 1, current: 1, direction: 'down' });
  });

  it('never raises the target on a hold, and keeps the busy nodes', () => {
    const p = new ActuationPolicy(opts);
    p.done(p.next(down(2, 3), 0, 0)!, 'applied', 0);
    expect(p.next({ ...hold(3), need: 3 }, 0, 70_000)).toBeUndefined();
    const q = new ActuationPolicy(opts);
    q.done(q.next(up(4, 2), 0, 0)!, 'applied', 0);
    expect(q.next({ ...hold(2), need: 2 }, 3, 70_000)?.target).toBe(3);
  });
});

describe('ActuationPolicy without an actuator (advise)', () => {
  it('follows the target from the first decision on, with bounds and the busy floor, never cooling down', () => {
    const p = new ActuationPolicy(opts);
    expect(p.advise(hold(2), 0)).toBe(2);
    expect(p.advise(up(9, 2), 0)).toBe(5);
    expect(p.advise(hold(2), 0)).toBe(5); // nodes still starting
    expect(p.advise(down(1, 5), 2)).toBe(2);
    expect(p.advise(hold(3), 0)).toBe(2); // a hold never raises it
    expect(p.advise({ ...hold(1), need: 1 }, 0)).toBe(1); // the fleet matches the demand: down to the live node
  });
});
