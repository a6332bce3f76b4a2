import { ValidationError } from '@shoal/protocol';
import { criticalPath, longestFirst, predictMakespan } from './estimates.js';

describe('criticalPath picks the longest way wherever it is declared', () => {
  it('follows the longer of two dependents when it is declared second', () => {
    const cp = criticalPath([
      { id: 'build', durationMs: 2, dependsOn: [] },
      { id: 'lint', durationMs: 1, dependsOn: ['build'] },
      { id: 'test', durationMs: 7, dependsOn: ['build'] },
    ]);
    expect(cp.path).toEqual(['build', 'test']);
    expect(cp.makespanMs).toBe(9);
  });

  it('starts at the root of highest rank when it is declared after a shorter root', () => {
    const cp = criticalPath([
      { id: 'docs', durationMs: 3, dependsOn: [] },
      { id: 'build', durationMs: 4, dependsOn: [] },
      { id: 'ship', durationMs: 1, dependsOn: ['build'] },
    ]);
    expect(cp.path).toEqual(['build', 'ship']);
    expect(cp.makespanMs).toBe(5);
  });

  it('starts at a root, never at a dependent of equal rank declared before it (a zero-length gate)', () => {
    const cp = criticalPath([
      { id: 'work', durationMs: 5, dependsOn: ['gate'] },
      { id: 'gate', durationMs: 0, dependsOn: [] },
    ]);
    expect(Object.fromEntries(cp.rankMs)).toEqual({ work: 5, gate: 5 });
    expect(cp.path).toEqual(['gate', 'work']);
  });
});

describe('longestFirst breaks ties by id', () => {
  it('keeps equal ranks in id order when they already come in id order', () => {
    const ranks = new Map([['a', 2], ['b', 2], ['c', 2]]);
    expect(longestFirst(['a', 'b', 'c'], ranks)).toEqual(['a', 'b', 'c']);
    expect(longestFirst(['b', 'c', 'a'], ranks)).toEqual(['a', 'b', 'c']);
  });
});

describe('predictMakespan with unlimited slots', () => {
  it('is exactly the critical path length, summed the same way (fractional durations included)', () => {
    // 0.1 + (0.2 + 0.3) is 0.6, but (0.1 + 0.2) + 0.3 is 0.6000000000000001: scheduling the chain
    // slot by slot would give the latter
    const chain = [
      { id: 'a', durationMs: 0.1, dependsOn: [] },
      { id: 'b', durationMs: 0.2, dependsOn: ['a'] },
      { id: 'c', durationMs: 0.3, dependsOn: ['b'] },
    ];
    expect(criticalPath(chain).makespanMs).toBe(0.6);
    expect(predictMakespan(chain)).toBe(0.6);
    expect(predictMakespan(chain, Infinity)).toBe(0.6);
  });
});

describe('unknown dependencies', () => {
  it('are refused one issue each, at the path of the item that names them', () => {
    try {
      criticalPath([
        { id: 'a', durationMs: 1, dependsOn: ['zz'] },
        { id: 'b', durationMs: 1, dependsOn: ['a', 'yy', 'xx'] },
      ]);
      throw new Error('expected a ValidationError');
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).issues).toEqual([
        { path: 'a.dependsOn', message: 'unknown item zz' },
        { path: 'b.dependsOn', message: 'unknown item yy' },
        { path: 'b.dependsOn', message: 'unknown item xx' },
      ]);
    }
  });
});
