import { cacheKey, decideCache } from './cache-key.js';

describe('cacheKey', () => {
  const base = { command: ['npm', 'test'], inputs: { node: '20', lint: true }, files: { 'package.json': 'abc123', 'src/a.ts': 'def456' } };

  it('is a stable sha256 independent of object key order', () => {
    const k = cacheKey(base);
    expect(k).toBe('d8437faa164ac10eeb1d78fc18313dd301574800824214c0dfdd6648ac391847'); // golden: keys must survive upgrades
    expect(cacheKey({ command: ['npm', 'test'], files: { 'src/a.ts': 'def456', 'package.json': 'abc123' }, inputs: { lint: true, node: '20' } })).toBe(k);
  });

  it('changes with argv order, any input, any file revision, cwd, env or salt', () => {
    const k = cacheKey(base);
    const variants = [
      { ...base, command: ['test', 'npm'] },
      { ...base, command: ['npm', 'test', ''] },
      { ...base, inputs: { node: '22', lint: true } },
      { ...base, inputs: { node: 20, lint: true } },
      { ...base, files: { ...base.files, 'src/a.ts': 'fff' } },
      { ...base, cwd: '/repo' },
      { ...base, env: { CI: '1' } },
      { ...base, salt: 'v2' },
    ];
    const keys = new Set(variants.map(cacheKey));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(k)).toBe(false);
  });

  it('refuses a file without a revision and an empty command', () => {
    expect(() => cacheKey({ command: ['x'], files: { a: '' } })).toThrow(/git revision/);
    expect(() => cacheKey({ command: [] })).toThrow(/argv/);
  });
});

describe('decideCache', () => {
  it('hits a fresh result for the same key', () => {
    const key = cacheKey({ command: ['make'] });
    expect(decideCache(key, { key, storedAt: 1_000 }, 61_000, 120_000)).toEqual({ hit: true, reason: `cache hit: result stored 60 s ago (key ${key.slice(0, 12)})` });
  });
  it('misses when absent, for another key, or expired', () => {
    const key = cacheKey({ command: ['make'] });
    expect(decideCache(key, undefined, 0, 1).hit).toBe(false);
    expect(decideCache(key, { key: 'other', storedAt: 0 }, 0, 1).reason).toBe('cache miss: stored result is for another key');
    expect(decideCache(key, { key, storedAt: 0 }, 120_001, 120_000).reason).toBe('cache miss: stored result expired (120 s old, ttl 120 s)');
  });
});
