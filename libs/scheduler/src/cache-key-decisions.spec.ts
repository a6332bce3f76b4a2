/** decideCache refuses a result stored under another key; cacheKey says why an argv is needed. */
import { ValidationError } from '@shoal/protocol';
import { cacheKey, decideCache } from './cache-key.js';

describe('decideCache: a result stored for another key', () => {
  it('is a miss, even when fresh', () => {
    const key = cacheKey({ command: ['make', 'docs'] });
    const other = cacheKey({ command: ['make', 'site'] });
    expect(decideCache(key, { key: other, storedAt: 0 }, 0, 60_000)).toEqual({ hit: false, reason: 'cache miss: stored result is for another key' });
  });
});

describe('cacheKey without a command', () => {
  it('is refused at path command, saying the argv is needed', () => {
    let thrown: unknown;
    try {
      cacheKey({ command: [] });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).issues).toEqual([{ path: 'command', message: 'a cache key needs the argv of the command' }]);
  });
});
