import { DEFAULT_AGENT_UIDS, UidPool, inRange, parseUidRange } from './uid-pool.js';

describe('agent uid pool', () => {
  it('hands out the lowest uid not held, and that uid again once freed', () => {
    const pool = new UidPool({ first: 5000, last: 5002 });
    expect([pool.allocate(), pool.allocate()]).toEqual([5000, 5001]);
    pool.free(5000);
    expect(pool.allocate()).toBe(5000);
    expect(pool.allocate()).toBe(5002);
    expect(pool.allocate()).toBeUndefined();
    expect(pool.heldUids()).toEqual([5000, 5001, 5002]);
  });

  it('never hands out a uid held for an adopted attempt or left-over processes', () => {
    const pool = new UidPool({ first: 5000, last: 5009 });
    pool.hold(5000);
    pool.hold(5002);
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).toEqual([5001, 5003, 5004]);
    expect(pool.isHeld(5002)).toBe(true);
    expect(() => pool.hold(4999)).toThrow(RangeError);
  });

  it('parses SHOAL_AGENT_UIDS and refuses system uids, reversed or huge ranges', () => {
    expect(parseUidRange('2000000-2000999')).toEqual(DEFAULT_AGENT_UIDS);
    expect(parseUidRange(' 3000 - 3000 ')).toEqual({ first: 3000, last: 3000 });
    for (const bad of ['0-10', '999-2000', '5000-4000', '1000-2000000', 'x', '', '2000000', '1000-4294967295']) {
      expect(() => parseUidRange(bad)).toThrow(/SHOAL_AGENT_UIDS/);
    }
    expect(inRange(DEFAULT_AGENT_UIDS, 2_000_999)).toBe(true);
    expect(inRange(DEFAULT_AGENT_UIDS, 2_001_000)).toBe(false);
  });
});
