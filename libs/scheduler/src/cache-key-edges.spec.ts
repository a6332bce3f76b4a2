import { ValidationError } from '@shoal/protocol';
import { type CacheKeyInput, cacheKey, decideCache } from './cache-key.js';

describe('cacheKey: refusals', () => {
  it('refuses a command given as one string instead of an argv, naming the field', () => {
    const call = () => cacheKey({ command: 'npm test' } as unknown as CacheKeyInput);
    expect(call).toThrow(ValidationError);
    expect(call).toThrow(/argv/);
  });

  it('refuses a file revision that is not a string, naming the file', () => {
    try {
      cacheKey({ command: ['make'], files: { 'src/a.ts': 42 as unknown as string } });
      throw new Error('expected a ValidationError');
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).issues).toEqual([{ path: 'files.src/a.ts', message: 'needs the git revision of the file' }]);
    }
  });

  it('tells an absent salt, cwd and env from empty ones only where the value differs', () => {
    const plain = cacheKey({ command: ['make'] });
    expect(cacheKey({ command: ['make'], salt: '' })).toBe(plain);
    expect(cacheKey({ command: ['make'], env: {} })).toBe(plain);
    expect(cacheKey({ command: ['make'], cwd: '' })).not.toBe(plain);
  });
});

describe('decideCache at the TTL edge', () => {
  // the key is made inside each test: a call at describe time would make Stryker treat mutants as static
  const makeKey = () => cacheKey({ command: ['make'] });

  it('a result exactly as old as the TTL is still a hit; one millisecond older is not', () => {
    const key = makeKey();
    expect(decideCache(key, { key, storedAt: 0 }, 120_000, 120_000)).toEqual({ hit: true, reason: `cache hit: result stored 120 s ago (key ${key.slice(0, 12)})` });
    expect(decideCache(key, { key, storedAt: 0 }, 120_001, 120_000).hit).toBe(false);
  });

  it('says why an absent result misses', () => {
    const key = makeKey();
    expect(decideCache(key, undefined, 0, 1)).toEqual({ hit: false, reason: 'cache miss: no stored result' });
  });
});
