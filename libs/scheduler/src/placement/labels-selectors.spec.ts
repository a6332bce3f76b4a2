import { formatPairs, selectorPairs } from './labels.js';

describe('label selectors', () => {
  it('selectorPairs: sorted k=v pairs, whatever the key order; none for no selector', () => {
    expect(selectorPairs({ repo: 'web', agent: 'codex' })).toEqual(['agent=codex', 'repo=web']);
    expect(selectorPairs(undefined)).toEqual([]);
    expect(selectorPairs({})).toEqual([]);
  });

  it('formatPairs joins with a comma and no space', () => {
    expect(formatPairs(['agent=codex', 'repo=web'])).toBe('agent=codex,repo=web');
  });
});
