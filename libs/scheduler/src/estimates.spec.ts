import { RuntimeEstimator, criticalPath, longestFirst, predictMakespan, taskKind } from './estimates.js';

describe('RuntimeEstimator', () => {
  it('starts from the first sample, then moves by alpha toward new ones', () => {
    const e = new RuntimeEstimator({ alpha: 0.5, defaultMs: 1_000 });
    expect(e.estimate('web/dev/npm')).toBe(1_000);
    e.observe('web/dev/npm', 10_000);
    expect(e.observe('web/dev/npm', 20_000)).toEqual({ ewmaMs: 15_000, samples: 2 });
    expect(e.estimate('web/dev/npm')).toBe(15_000);
    const restored = new RuntimeEstimator({ alpha: 0.5 }, e.toJSON());
    expect(restored.estimate('web/dev/npm')).toBe(15_000);
    expect(restored.known('other')).toBe(false);
    expect(() => e.observe('k', -1)).toThrow(/finite/);
  });

  it('names kinds by team, role and program', () => {
    expect(taskKind({ team: 'web', role: 'Dev', command: ['/usr/bin/npm', 'test'] })).toBe('web/Dev/npm');
  });
});

describe('criticalPath and makespan', () => {
  // a(10) -> c(5) -> d(1);  b(3) -> d;  e(8) alone
  const dag = [
    { id: 'a', durationMs: 10, dependsOn: [] },
    { id: 'b', durationMs: 3, dependsOn: [] },
    { id: 'c', durationMs: 5, dependsOn: ['a'] },
    { id: 'd', durationMs: 1, dependsOn: ['c', 'b'] },
    { id: 'e', durationMs: 8, dependsOn: [] },
  ];

  it('finds the longest chain and ranks every item', () => {
    const cp = criticalPath(dag);
    expect(cp.makespanMs).toBe(16);
    expect(cp.path).toEqual(['a', 'c', 'd']);
    expect(Object.fromEntries(cp.rankMs)).toEqual({ a: 16, b: 4, c: 6, d: 1, e: 8 });
    expect(longestFirst(['b', 'e', 'a'], cp.rankMs)).toEqual(['a', 'e', 'b']);
  });

  it('predicts the makespan for a number of slots', () => {
    expect(predictMakespan(dag)).toBe(16);
    expect(predictMakespan(dag, 3)).toBe(16);
    // one slot: everything in sequence
    expect(predictMakespan(dag, 1)).toBe(27);
    // two slots: a,e first; then c (t=10) and b (t=8) ... d after c at 15 -> 16
    expect(predictMakespan(dag, 2)).toBe(16);
    expect(predictMakespan([])).toBe(0);
  });

  it('rejects unknown dependencies and cycles', () => {
    expect(() => criticalPath([{ id: 'a', durationMs: 1, dependsOn: ['zz'] }])).toThrow(/unknown item zz/);
    expect(() =>
      criticalPath([
        { id: 'a', durationMs: 1, dependsOn: ['b'] },
        { id: 'b', durationMs: 1, dependsOn: ['a'] },
      ]),
    ).toThrow(/cycle among a, b/);
  });
});
