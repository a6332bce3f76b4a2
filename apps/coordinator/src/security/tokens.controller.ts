import { Body, Controller, Delete, Get, HttpCode, Logger, Param, Post, Req } from '@nestjs/common';
import { type ApiTokenView, CreateJoinTokenRequest, CreateTokenRequest, DependencyError, type MintedApiToken, type MintedJoinToken, NotFoundError, type RevokedTokenReply } from '@shoal/protocol';
import type { SecurityStore } from '@shoal/runtime';
import { RequireScope } from './access.js';
import { type AuthorizedRequest, actor } from './api-auth.guard.js';
import { parseBody } from './parse-body.js';
import { SecurityContext } from './security-context.js';

/** API tokens and one-time join tokens (admin only; secrets are shown once, when minted). */
@Controller('tokens')
@RequireScope('admin')
export class TokensController {
  private readonly log = new Logger('tokens');

  constructor(private readonly security: SecurityContext) {}

  /** `POST /tokens {scope, name?}` -> 201 with the token's plain text (the only time it is shown). */
  @Post()
  @HttpCode(201)
  create(@Body() body: unknown, @Req() http: AuthorizedRequest): MintedApiToken {
    const req = parseBody(CreateTokenRequest, body);
    const { token, record } = this.store.createApiToken(req.scope, req.name ?? `${req.scope} token`);
    this.log.log(`API token ${record.id} "${record.name}" (${record.scope}) minted${actor(http)}`);
    return { id: record.id, name: record.name, scope: record.scope, token, createdAt: record.createdAt };
  }

  /** `GET /tokens`: every API token without its secret. */
  @Get()
  list(): ApiTokenView[] {
    return this.store.snapshot.apiTokens.map((t) => ({ id: t.id, name: t.name, scope: t.scope, createdAt: t.createdAt }));
  }

  /** `DELETE /tokens/:id`: the token stops working at once. */
  @Delete(':id')
  revoke(@Param('id') id: string, @Req() http: AuthorizedRequest): RevokedTokenReply {
    if (!this.store.revokeApiToken(id)) throw new NotFoundError(`no API token ${id}`);
    this.log.log(`API token ${id} revoked${actor(http)}`);
    return { ok: true, revoked: id };
  }

  /** `POST /tokens/join {ttlMs?}` -> 201 with a one-time join token and the command that uses it. */
  @Post('join')
  @HttpCode(201)
  join(@Body() body: unknown, @Req() req: AuthorizedRequest): MintedJoinToken {
    const { ttlMs } = parseBody(CreateJoinTokenRequest, body);
    const { token, record } = this.store.createJoinToken(ttlMs);
    this.log.log(`join token ${record.id} minted, valid until ${new Date(record.expiresAt).toISOString()}${actor(req)}`);
    const url = this.security.config.publicUrl ?? `${req.protocol}://${req.headers.host}`;
    return { token, expiresAt: record.expiresAt, command: `shoal join ${url} --token ${token}` };
  }

  private get store(): SecurityStore {
    if (!this.security.store) throw new DependencyError('this coordinator runs without security (SHOAL_INSECURE=1): there are no tokens');
    return this.security.store;
  }
}
