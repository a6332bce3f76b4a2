import { PutCacheRequest, formatCacheNamespace, newCacheEntry, parseCacheNamespace } from './cache.js';

describe('shared cache namespaces, at the edges', () => {
  it('refuse a kind that only ends in run: or team:', () => {
    for (const text of ['xrun:abc', 'myteam:frontend', ' run:abc']) expect(parseCacheNamespace(text)).toBeUndefined();
  });

  it('refuse a trailing newline after the id', () => {
    expect(parseCacheNamespace('run:abc\n')).toBeUndefined();
    expect(parseCacheNamespace('team:fe\nx')).toBeUndefined();
  });

  it('write the global namespace as `global`, and read it back', () => {
    expect(formatCacheNamespace({ kind: 'global' })).toBe('global');
    expect(parseCacheNamespace(formatCacheNamespace({ kind: 'global' }))).toEqual({ kind: 'global' });
    expect(formatCacheNamespace({ kind: 'run', id: 'r1' })).toBe('run:r1');
  });
});

describe('shared cache entries, at the edges', () => {
  it('store an undefined value as null, counting the 4 bytes of `null`', () => {
    expect(newCacheEntry(undefined, 1000, 0)).toEqual({ entry: { v: null, at: 0, exp: 1000, size: 4 } });
  });

  it('refuse a put body whose value is present but undefined', () => {
    const r = PutCacheRequest.safeParse({ value: undefined });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => ({ path: i.path, message: i.message }))).toEqual([{ path: ['value'], message: 'required' }]);
  });
});
