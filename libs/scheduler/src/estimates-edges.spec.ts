import { ValidationError } from '@shoal/protocol';
import { RuntimeEstimator, criticalPath, longestFirst, predictMakespan, taskKind } from './estimates.js';

describe('RuntimeEstimator: defaults and refusals', () => {
  it('estimates 60 s for a kind never seen and weighs a new sample 0.3 by default', () => {
    const e = new RuntimeEstimator();
    expect(e.estimate('k')).toBe(60_000);
    e.observe('k', 10_000);
    expect(e.observe('k', 20_000)).toEqual({ ewmaMs: 13_000, samples: 2 });
    expect(e.known('k')).toBe(true);
  });

  it('accepts a duration of 0 and refuses infinite or missing ones', () => {
    const e = new RuntimeEstimator();
    expect(e.observe('k', 0)).toEqual({ ewmaMs: 0, samples: 1 });
    expect(() => e.observe('k', Infinity)).toThrow(ValidationError);
    expect(() => e.observe('k', Number.NaN)).toThrow(ValidationError);
    expect(e.estimate('k')).toBe(0);
  });

  it('hands out copies: changing what toJSON or observe returned, or the saved record, changes nothing inside', () => {
    const saved = { k: { ewmaMs: 1_000, samples: 1 } };
    const e = new RuntimeEstimator({}, saved);
    saved.k.ewmaMs = 9;
    e.toJSON().k!.ewmaMs = 9;
    e.observe('j', 500).ewmaMs = 9;
    expect(e.toJSON()).toEqual({ k: { ewmaMs: 1_000, samples: 1 }, j: { ewmaMs: 500, samples: 1 } });
  });
});

describe('taskKind', () => {
  it('uses an empty program name for an empty command, and a bare program name as it is', () => {
    expect(taskKind({ team: 'web', role: 'Dev', command: [] })).toBe('web/Dev/');
    expect(taskKind({ team: 'web', role: 'Dev', command: ['make', 'all'] })).toBe('web/Dev/make');
  });
});

describe('criticalPath and the ordering of ties', () => {
  it('follows the first declared of two equally long dependents, and starts at the first of two equal roots', () => {
    const cp = criticalPath([
      { id: 'r1', durationMs: 1, dependsOn: [] },
      { id: 'r2', durationMs: 6, dependsOn: [] },
      { id: 'x', durationMs: 5, dependsOn: ['r1'] },
      { id: 'y', durationMs: 5, dependsOn: ['r1'] },
    ]);
    expect(cp.makespanMs).toBe(6);
    expect(cp.path).toEqual(['r1', 'x']);
  });

  it('longestFirst puts unranked items last (rank 0) and orders equal ranks by id', () => {
    const ranks = new Map([['z', 5], ['b', 2], ['a', 2]]);
    expect(longestFirst(['y', 'b', 'x', 'a', 'z'], ranks)).toEqual(['z', 'a', 'b', 'x', 'y']);
  });

  it('names only the items on a cycle, not those before it', () => {
    try {
      criticalPath([
        { id: 'root', durationMs: 1, dependsOn: [] },
        { id: 'a', durationMs: 1, dependsOn: ['root', 'b'] },
        { id: 'b', durationMs: 1, dependsOn: ['a'] },
      ]);
      throw new Error('expected a ValidationError');
    } catch (e) {
      expect((e as ValidationError).issues).toEqual([{ path: 'dependsOn', message: 'cycle among a, b' }]);
    }
  });
});

describe('predictMakespan: slots', () => {
  const chain = [
    { id: 'a', durationMs: 4, dependsOn: [] },
    { id: 'b', durationMs: 3, dependsOn: [] },
    { id: 'c', durationMs: 2, dependsOn: ['a'] },
  ];

  it('refuses fewer than one slot, naming the field', () => {
    for (const slots of [0, 0.5, -1]) {
      try {
        predictMakespan(chain, slots);
        throw new Error(`expected slots ${slots} to be refused`);
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        expect((e as ValidationError).issues).toEqual([{ path: 'slots', message: 'must be at least 1' }]);
      }
    }
  });

  it('runs one item per slot and frees a slot at the earliest end', () => {
    // one slot: everything in sequence, 4 + 3 + 2
    expect(predictMakespan(chain, 1)).toBe(9);
    // two slots: a and b start; b ends at 3 (nothing freed), a at 4, c runs 4..6
    expect(predictMakespan(chain, 2)).toBe(6);
  });
});
