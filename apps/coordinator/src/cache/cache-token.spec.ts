import { cacheTokenAllows, cacheTokenKey, mintCacheToken, verifyCacheToken } from './cache-token.js';

describe('shared-cache tokens', () => {
  const key = cacheTokenKey('SUFAKESEED0000');
  const token = mintCacheToken(key, { r: 'r-1', t: 'frontend', e: 10_000 });

  it('verifies what it minted until the expiry, and nothing forged or minted with another key', () => {
    expect(verifyCacheToken(key, token, 9_999)).toEqual({ r: 'r-1', t: 'frontend', e: 10_000 });
    expect(verifyCacheToken(key, token, 10_000)).toBeUndefined();
    expect(verifyCacheToken(cacheTokenKey('SUOTHERSEED'), token, 0)).toBeUndefined();
    const [, body, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ r: 'r-2', t: 'frontend', e: 10_000 })).toString('base64url');
    expect(verifyCacheToken(key, `shc1.${forged}.${mac}`, 0)).toBeUndefined();
    expect(verifyCacheToken(key, `shc1.${body}.${mac}x`, 0)).toBeUndefined();
    expect(verifyCacheToken(key, `shc1.${body}`, 0)).toBeUndefined();
    expect(verifyCacheToken(key, 'shoal_abc', 0)).toBeUndefined();
  });

  it('opens global, its run and its team only', () => {
    const c = { r: 'r-1', t: 'frontend', e: 1 };
    expect(cacheTokenAllows(c, { kind: 'global' })).toBe(true);
    expect(cacheTokenAllows(c, { kind: 'run', id: 'r-1' })).toBe(true);
    expect(cacheTokenAllows(c, { kind: 'team', id: 'frontend' })).toBe(true);
    expect(cacheTokenAllows(c, { kind: 'run', id: 'r-2' })).toBe(false);
    expect(cacheTokenAllows(c, { kind: 'team', id: 'backend' })).toBe(false);
    expect(cacheTokenAllows(c, { kind: 'team', id: 'r-1' })).toBe(false);
  });
});
