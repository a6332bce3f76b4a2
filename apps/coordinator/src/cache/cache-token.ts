import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CacheNamespace } from '@shoal/protocol';

/**
 * Task-scoped tokens ("task tokens"): minted by the coordinator per dispatched attempt, given to
 * the agent as `SHOAL_CACHE_TOKEN`. Stateless: `shc1.<claims>.<hmac>`, HMAC-SHA256 with a key
 * derived from the coordinator's nkey seed (every replica holds the same seed, so any replica
 * verifies what another minted). A token opens `/cache` for the namespaces `global`,
 * `run:<its run>` and `team:<its team>` (cache-access.ts), `POST /mcp`, and the routes of its own
 * run declared `@TaskTokenMay('own-run')` (its status, its tasks' screens and send: the global
 * guard); it works until its expiry (no revocation list).
 */
export const CACHE_TOKEN_PREFIX = 'shc1.';

/** What a cache token grants. */
export interface CacheTokenClaims {
  /** Run id. */
  r: string;
  /** Team name. */
  t: string;
  /** Expiry, ms since the epoch. */
  e: number;
}

/** The HMAC key of cache tokens, from the coordinator's nkey seed. */
export function cacheTokenKey(seed: string): Buffer {
  return createHash('sha256').update('shoal shared-cache token\0').update(seed).digest();
}

/** Mints a token for these claims. */
export function mintCacheToken(key: Buffer, claims: CacheTokenClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${CACHE_TOKEN_PREFIX}${body}.${sign(key, body)}`;
}

/** The claims of a genuine, unexpired token; undefined otherwise. */
export function verifyCacheToken(key: Buffer, token: string, now: number): CacheTokenClaims | undefined {
  if (!token.startsWith(CACHE_TOKEN_PREFIX)) return undefined;
  const [body, mac, extra] = token.slice(CACHE_TOKEN_PREFIX.length).split('.');
  if (!body || !mac || extra !== undefined) return undefined;
  const want = Buffer.from(sign(key, body));
  const got = Buffer.from(mac);
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  let claims: Partial<CacheTokenClaims>;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<CacheTokenClaims>;
  } catch {
    return undefined;
  }
  if (typeof claims.r !== 'string' || typeof claims.t !== 'string' || typeof claims.e !== 'number' || now >= claims.e) return undefined;
  return claims as CacheTokenClaims;
}

/** True when a token of these claims may use the namespace: `global`, its run's, its team's. */
export function cacheTokenAllows(claims: CacheTokenClaims, ns: CacheNamespace): boolean {
  return ns.kind === 'global' || (ns.kind === 'run' && ns.id === claims.r) || (ns.kind === 'team' && ns.id === claims.t);
}

function sign(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
