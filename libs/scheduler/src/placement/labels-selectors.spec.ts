import { formatPairs, matchesAll, matchesAny, selectorPairs } from './labels.js';

describe('label selectors', () => {
  it('selectorPairs: sorted k=v pairs, whatever the key order; none for no selector', () => {
    expect(selectorPairs({ repo: 'web', agent: 'codex' })).toEqual(['agent=codex', 'repo=web']);
    expect(selectorPairs(undefined)).toEqual([]);
    expect(selectorPairs({})).toEqual([]);
  });

  it('formatPairs joins with a comma and no space', () => {
    expect(formatPairs(['agent=codex', 'repo=web'])).toBe('agent=codex,repo=web');
  });

  it('matchesAll: every pair must be carried; no selector matches every node', () => {
    const labels = { agent: 'codex', repo: 'web' };
    expect(matchesAll(labels, { agent: 'codex', repo: 'web' })).toBe(true);
    expect(matchesAll(labels, { agent: 'codex', repo: 'api' })).toBe(false);
    expect(matchesAll(labels, { zone: 'a' })).toBe(false);
    expect(matchesAll(labels, undefined)).toBe(true);
    expect(matchesAll(labels, {})).toBe(true);
  });

  it('matchesAny: one carried pair is enough; no selector matches no node', () => {
    const labels = { agent: 'codex', repo: 'web' };
    expect(matchesAny(labels, { agent: 'claude', repo: 'web' })).toBe(true);
    expect(matchesAny(labels, { agent: 'claude', repo: 'api' })).toBe(false);
    expect(matchesAny(labels, undefined)).toBe(false);
    expect(matchesAny(labels, {})).toBe(false);
  });
});
