import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthenticationError, PermissionError, scopeAllows } from '@shoal/protocol';
import type { ApiTokenRecord } from '@shoal/runtime';
import type { FastifyRequest } from 'fastify';
import { CACHE_TOKEN_PREFIX, type CacheTokenClaims, verifyCacheToken } from '../cache/cache-token.js';
import { ACCESS_KEY, type Access, TASK_TOKEN_KEY, type TaskTokenReach } from './access.js';
import { crossSiteReason } from './origin.js';
import { SecurityContext } from './security-context.js';

const HOW_TO_GET_ONE = 'send `Authorization: Bearer <token>` (the CLI reads SHOAL_TOKEN or the local cluster file; an admin mints one with `shoal token create --scope read|operate|admin`)';

const OR_A_TASK_TOKEN = "; an agent may use its task's token ($SHOAL_CACHE_TOKEN)";
/** What a task token opens, for the 403 of a route it may not use. */
const TASK_TOKEN_OPENS = 'a task token opens /mcp, /cache (its namespaces) and its own run (status, its tasks\' screens, send) only';

/** A request that passed the guard with a token carries its record (name and scope, no secret), or a task token's claims. */
export type AuthorizedRequest = FastifyRequest & { apiToken?: ApiTokenRecord; taskToken?: CacheTokenClaims };

/**
 * The API's only door (global guard): a route without an access declaration is refused (fail
 * closed); a browser request from a foreign origin is refused before anything runs; then the
 * bearer token must exist and its scope cover the route's. An agent's task token (`shc1.`) passes
 * only a route declared `@TaskTokenMay(...)`, and an `own-run` route only for its own run (the
 * `:id` parameter). With SHOAL_INSECURE=1 only the declaration is checked.
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  private readonly log = new Logger('api-auth');

  constructor(
    private readonly reflector: Reflector,
    private readonly security: SecurityContext,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [ctx.getHandler(), ctx.getClass()]);
    const req = ctx.switchToHttp().getRequest<AuthorizedRequest>();
    if (!access) {
      this.log.error(`${ctx.getClass().name}.${ctx.getHandler().name} declares no access (@RequireScope or @Public): refused`);
      throw new PermissionError(`${req.method} ${req.url} is not open to anyone (the route declares no access)`);
    }
    const store = this.security.store;
    if (!store) return true;
    const crossSite = crossSiteReason(req.headers as Record<string, string | undefined>, req.protocol, this.security.config.publicUrl);
    if (crossSite) throw new PermissionError(crossSite);
    if (access === 'public') return true;
    const reach = this.reflector.getAllAndOverride<TaskTokenReach | undefined>(TASK_TOKEN_KEY, [ctx.getHandler(), ctx.getClass()]);
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new AuthenticationError(`no API token: ${HOW_TO_GET_ONE}${reach ? OR_A_TASK_TOKEN : ''}`);
    if (token.startsWith(CACHE_TOKEN_PREFIX)) {
      req.taskToken = this.taskToken(token, reach, access, req);
      return true;
    }
    const record = store.verifyApiToken(token);
    if (!record) throw new AuthenticationError(`unknown or revoked API token: ${HOW_TO_GET_ONE}`);
    if (!scopeAllows(record.scope, access)) throw new PermissionError(`needs scope ${access}; this token has ${record.scope}`);
    req.apiToken = record;
    return true;
  }

  /** The claims of a task token that may use this route; throws 401 (not genuine, expired) or 403 (not here). */
  private taskToken(token: string, reach: TaskTokenReach | undefined, access: Access, req: AuthorizedRequest): CacheTokenClaims {
    const key = this.security.taskTokenKey;
    const claims = key && verifyCacheToken(key, token, Date.now());
    if (!claims) throw new AuthenticationError('unknown or expired task token (an agent\'s $SHOAL_CACHE_TOKEN lasts until an hour after its task\'s timeout)');
    const route = `${req.method} ${req.url.split('?')[0]}`;
    if (!reach) throw new PermissionError(`${route} needs an API token with scope ${access}: ${TASK_TOKEN_OPENS}`);
    if (reach === 'own-run') {
      const id = (req.params as Record<string, string> | undefined)?.id;
      if (id !== claims.r) throw new PermissionError(`${route}: this task token opens its own run ${claims.r} only, not ${id ?? '(none)'}`);
    }
    return claims;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** ` by "<token name>"` of the request's token, for audit log lines (never the secret). */
export function actor(req: AuthorizedRequest): string {
  if (req.taskToken) return ` by a task token of run ${req.taskToken.r} (team ${req.taskToken.t})`;
  return req.apiToken ? ` by "${req.apiToken.name}"` : '';
}
