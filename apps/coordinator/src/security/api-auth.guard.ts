import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthenticationError, PermissionError, scopeAllows } from '@shoal/protocol';
import type { ApiTokenRecord } from '@shoal/runtime';
import type { FastifyRequest } from 'fastify';
import { ACCESS_KEY, type Access } from './access.js';
import { crossSiteReason } from './origin.js';
import { SecurityContext } from './security-context.js';

const HOW_TO_GET_ONE = 'send `Authorization: Bearer <token>` (the CLI reads SHOAL_TOKEN or the local cluster file; an admin mints one with `shoal token create --scope read|operate|admin`)';

/** A request that passed the guard with a token carries its record (name and scope, no secret). */
export type AuthorizedRequest = FastifyRequest & { apiToken?: ApiTokenRecord };

/**
 * The API's only door (global guard): a route without an access declaration is refused (fail
 * closed); a browser request from a foreign origin is refused before anything runs; then the
 * bearer token must exist and its scope cover the route's. With SHOAL_INSECURE=1 only the
 * declaration is checked.
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
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new AuthenticationError(`no API token: ${HOW_TO_GET_ONE}`);
    const record = store.verifyApiToken(token);
    if (!record) throw new AuthenticationError(`unknown or revoked API token: ${HOW_TO_GET_ONE}`);
    if (!scopeAllows(record.scope, access)) throw new PermissionError(`needs scope ${access}; this token has ${record.scope}`);
    req.apiToken = record;
    return true;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** ` by "<token name>"` of the request's token, for audit log lines (never the secret). */
export function actor(req: AuthorizedRequest): string {
  return req.apiToken ? ` by "${req.apiToken.name}"` : '';
}
