import { jest } from '@jest/globals';
import { Failpoints, parseFailpoints } from './failpoints.js';

const settled = async (p: Promise<void>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('failpoints', () => {
  it('are off without SHOAL_FAILPOINTS: every point passes', async () => {
    const die = jest.fn();
    const fp = new Failpoints(undefined, die);
    expect(fp.enabled).toBe(false);
    expect(await settled(fp.hit('after-publish'))).toBe(true);
    expect(die).not.toHaveBeenCalled();
  });

  it('exit (the default action) kills the process on the first hit', async () => {
    const die = jest.fn();
    const fp = new Failpoints('after-dispatch-persist', die);
    expect(await settled(fp.hit('after-publish'))).toBe(true);
    void fp.hit('after-dispatch-persist');
    expect(die).toHaveBeenCalledTimes(1);
  });

  it('@n fires on the n-th hit only; hang never settles', async () => {
    const die = jest.fn();
    const fp = new Failpoints('after-status-store:hang@3', die);
    expect(await settled(fp.hit('after-status-store'))).toBe(true);
    expect(await settled(fp.hit('after-status-store'))).toBe(true);
    expect(await settled(fp.hit('after-status-store'))).toBe(false);
    expect(await settled(fp.hit('after-status-store'))).toBe(true);
    expect(die).not.toHaveBeenCalled();
  });

  it('refuses unknown names, actions and counts, naming the variable', () => {
    expect(() => parseFailpoints('before-lunch')).toThrow(/SHOAL_FAILPOINTS: unknown failpoint "before-lunch"/);
    expect(() => parseFailpoints('after-publish:explode')).toThrow(/unknown action "explode"/);
    expect(() => parseFailpoints('after-publish@0')).toThrow(/counts from 1/);
    expect([...parseFailpoints(' after-publish:exit , after-status-store:hang@2 ').entries()]).toEqual([
      ['after-publish', { action: 'exit', on: 1, hits: 0 }],
      ['after-status-store', { action: 'hang', on: 2, hits: 0 }],
    ]);
  });
});
