import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { AuthenticationError, CACHE_NAMESPACE_FORM, PermissionError, type Scope, ValidationError, parseCacheNamespace, scopeAllows } from '@shoal/protocol';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config.js';
import { Orchestrator } from '../orchestrator.js';
import { type AuthorizedRequest, bearerToken } from '../security/api-auth.guard.js';
import { SecurityContext } from '../security/security-context.js';
import { CACHE_TOKEN_PREFIX, cacheTokenAllows, mintCacheToken, verifyCacheToken } from './cache-token.js';

/** How long a task's cache token lasts past its timeout (or from dispatch when it has none). */
const GRANT_MS = { afterTimeout: 3_600_000, withoutTimeout: 7 * 24 * 3_600_000 } as const;

/** What a dispatched attempt carries so its agent reaches the shared cache (`task.dispatched` `cache`). */
export interface CacheGrant {
  url: string;
  token: string;
}

/**
 * Who may use `/cache` (the routes are `@Public()` for the global guard, which knows API tokens
 * only, and are checked here): an API token by scope (read for GET, operate for PUT/DELETE), or a
 * task's cache token (`shc1.…`, see cache-token.ts) for `global`, its run and its team, reading and
 * writing (the same token also opens /mcp and its own run: the global guard, `@TaskTokenMay`). Without security (SHOAL_INSECURE=1) everyone may, and no token is minted.
 */
@Injectable()
export class CacheAccess implements OnModuleInit {
  private readonly key?: Buffer;
  private readonly url: string;

  constructor(
    @Inject(COORDINATOR_CONFIG) config: CoordinatorConfig,
    private readonly security: SecurityContext,
    private readonly orchestrator: Orchestrator,
  ) {
    this.key = security.taskTokenKey;
    const own = `${config.security.tlsCert ? 'https' : 'http'}://127.0.0.1:${config.port}`;
    this.url = `${config.security.publicUrl ?? own}/cache`;
  }

  /** Every attempt the orchestrator dispatches carries a grant from here. */
  onModuleInit(): void {
    this.orchestrator.cacheGrant = (runId, team, timeoutMs) => this.grant(runId, team, timeoutMs);
  }

  /** The grant of one attempt of a task of `team` in run `runId`; undefined without security. */
  grant(runId: string, team: string, timeoutMs: number | undefined, now = Date.now()): CacheGrant | undefined {
    if (!this.key) return undefined;
    const e = now + (timeoutMs === undefined ? GRANT_MS.withoutTimeout : timeoutMs + GRANT_MS.afterTimeout);
    return { url: this.url, token: mintCacheToken(this.key, { r: runId, t: team, e }) };
  }

  /** Throws unless the request may use namespace `ns` with scope `need`. */
  authorize(req: AuthorizedRequest, ns: string, need: Scope): void {
    const store = this.security.store;
    if (!store) return;
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new AuthenticationError('no token: send `Authorization: Bearer <token>` (an API token, or an agent\'s SHOAL_CACHE_TOKEN)');
    if (token.startsWith(CACHE_TOKEN_PREFIX)) {
      const claims = this.key && verifyCacheToken(this.key, token, Date.now());
      if (!claims) throw new AuthenticationError('unknown or expired task token (an agent\'s $SHOAL_CACHE_TOKEN lasts until an hour after its task\'s timeout)');
      const parsed = parseCacheNamespace(ns);
      if (!parsed) throw new ValidationError([{ path: 'ns', message: `must be ${CACHE_NAMESPACE_FORM}` }]);
      if (!cacheTokenAllows(claims, parsed)) throw new PermissionError(`this task token opens the cache namespaces global, run:${claims.r} and team:${claims.t} only`);
      return;
    }
    const record = store.verifyApiToken(token);
    if (!record) throw new AuthenticationError('unknown or revoked API token');
    if (!scopeAllows(record.scope, need)) throw new PermissionError(`needs scope ${need}; this token has ${record.scope}`);
    req.apiToken = record;
  }
}
