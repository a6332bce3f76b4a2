import {
  MAX_CACHE_TTL_MS,
  MAX_CACHE_VALUE_BYTES,
  PutCacheRequest,
  cacheEntryExpired,
  cacheKvKey,
  cacheKvPrefix,
  formatCacheNamespace,
  isCacheKey,
  newCacheEntry,
  parseCacheNamespace,
  readStoredCacheEntry,
} from './cache.js';

describe('shared cache rules', () => {
  it('parses the three kinds of namespace and maps them to disjoint KV prefixes', () => {
    expect(parseCacheNamespace('global')).toEqual({ kind: 'global' });
    expect(parseCacheNamespace('run:r-1a')).toEqual({ kind: 'run', id: 'r-1a' });
    expect(parseCacheNamespace('team:frontend')).toEqual({ kind: 'team', id: 'frontend' });
    for (const bad of ['', 'globals', 'run:', 'team:a.b', 'run:a:b', 'user:x', `team:${'x'.repeat(65)}`]) expect(parseCacheNamespace(bad)).toBeUndefined();
    expect(cacheKvKey({ kind: 'run', id: 'r1' }, 'build.log')).toBe('shared.run.r1.build.log');
    expect(cacheKvPrefix({ kind: 'global' })).toBe('shared.global.');
    expect(cacheKvPrefix({ kind: 'team', id: 'fe' })).toBe('shared.team.fe.');
    expect(formatCacheNamespace({ kind: 'team', id: 'fe' })).toBe('team:fe');
  });

  it('takes keys NATS KV can hold and nothing that could escape a namespace', () => {
    for (const ok of ['a', 'api-schema', 'v1.2', 'A_b=c', 'x'.repeat(200)]) expect(isCacheKey(ok)).toBe(true);
    for (const bad of ['', '.a', 'a.', 'a..b', 'a/b', 'a b', 'a*', 'a>', 'é', 'x'.repeat(201)]) expect(isCacheKey(bad)).toBe(false);
  });

  it('stores the expiry with the value: live up to, not including, put time + ttl', () => {
    const made = newCacheEntry({ a: 1 }, 5000, 1000);
    if (!('entry' in made)) throw new Error('expected an entry');
    expect(made.entry).toEqual({ v: { a: 1 }, at: 1000, exp: 6000, size: 7 });
    expect(cacheEntryExpired(made.entry, 5999)).toBe(false);
    expect(cacheEntryExpired(made.entry, 6000)).toBe(true);
    const dflt = newCacheEntry('x', undefined, 0);
    expect('entry' in dflt && dflt.entry.exp).toBe(24 * 3_600_000);
  });

  it('refuses values over 256 KiB of JSON, with their size', () => {
    const atLimit = 'x'.repeat(MAX_CACHE_VALUE_BYTES - 2); // plus the two quotes
    expect('entry' in newCacheEntry(atLimit, 1000, 0)).toBe(true);
    expect(newCacheEntry(`${atLimit}x`, 1000, 0)).toEqual({ tooLarge: MAX_CACHE_VALUE_BYTES + 1 });
    expect(newCacheEntry('é'.repeat(MAX_CACHE_VALUE_BYTES / 2), 1000, 0)).toEqual({ tooLarge: MAX_CACHE_VALUE_BYTES + 2 });
  });

  it('reads back only well-formed stored entries', () => {
    expect(readStoredCacheEntry({ v: 'x', at: 1, exp: 2, size: 3 })).toEqual({ v: 'x', at: 1, exp: 2, size: 3 });
    for (const bad of [undefined, null, 'x', { v: 1 }, { status: 'succeeded' }]) expect(readStoredCacheEntry(bad)).toBeUndefined();
  });

  it('decodes a put body: any JSON value, TTL from 1 s to 168 h', () => {
    expect(PutCacheRequest.parse({ value: [1, 2], ttl: '15m' })).toEqual({ value: [1, 2], ttl: 900_000 });
    expect(PutCacheRequest.parse({ value: null, ttl: 2 })).toEqual({ value: null, ttl: 2000 });
    expect(PutCacheRequest.parse({ value: 'x', ttl: '168h' }).ttl).toBe(MAX_CACHE_TTL_MS);
    for (const bad of [{}, { value: 'x', ttl: '169h' }, { value: 'x', ttl: 0 }, { value: 'x', extra: 1 }]) expect(PutCacheRequest.safeParse(bad).success).toBe(false);
  });
});
