import { hashSeed, seededRandom } from './seeded-random.js';

// Golden values: the published FNV-1a (32-bit) and mulberry32 reference outputs. Retry delays are
// derived from them, so a change here would change every persisted task's backoff schedule.
describe('hashSeed (FNV-1a, 32 bit)', () => {
  it('gives the reference hashes with seed 0: the offset basis for "", 0xe40c292c for "a"', () => {
    expect(hashSeed('')).toBe(0x811c9dc5);
    expect(hashSeed('a')).toBe(0xe40c292c);
    expect(hashSeed('run.task')).toBe(932801465);
  });

  it('mixes the seed into the offset basis and depends on character order', () => {
    expect(hashSeed('', 7)).toBe((0x811c9dc5 ^ 7) >>> 0);
    expect(hashSeed('run.task', 7)).toBe(2862716702);
    expect(hashSeed('ab')).toBe(1294271946);
    expect(hashSeed('ba')).toBe(1009493708);
  });
});

describe('seededRandom (mulberry32)', () => {
  it('gives the reference sequence for seed 1', () => {
    const r = seededRandom(1);
    expect([r(), r(), r()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });

  it('reads the seed as an unsigned 32-bit number (-1 is 2^32 - 1)', () => {
    expect(seededRandom(-1)()).toBe(seededRandom(2 ** 32 - 1)());
    expect(seededRandom(-1)()).toBe(0.8964226141106337);
  });

  it('stays in [0, 1) over many draws', () => {
    const r = seededRandom(hashSeed('range'));
    const draws = Array.from({ length: 10_000 }, () => r());
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});
