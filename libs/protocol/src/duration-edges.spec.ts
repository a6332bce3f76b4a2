import { durationMs, parseDuration } from './duration.js';

// Every value is built inside the test that checks it: Stryker judges duration.ts per test.

describe('parseDuration anchors', () => {
  it('refuses a valid duration followed by more text (anchored at the end)', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('30sx')).toBeUndefined();
    expect(parseDuration('15m5s')).toBeUndefined();
    expect(parseDuration('2hours')).toBeUndefined();
  });

  it('refuses text before a valid duration (anchored at the start)', () => {
    expect(parseDuration('x30s')).toBeUndefined();
  });
});

describe('durationMs issues', () => {
  it('reports a malformed value as one custom issue at the field', () => {
    const r = durationMs({ min: 1000, max: 60_000 }).safeParse('soon');
    expect(r.error?.issues).toEqual([{ code: 'custom', path: [], message: 'must be a positive duration such as 30 (seconds), "90s", "15m" or "2h"' }]);
  });

  it('reports an out-of-range value as one custom issue at the field, with both bounds', () => {
    const schema = durationMs({ min: 1000, max: 60_000 });
    expect(schema.parse('1m')).toBe(60_000);
    expect(schema.safeParse('61s').error?.issues).toEqual([{ code: 'custom', path: [], message: 'must be between 1s and 1m' }]);
  });
});
