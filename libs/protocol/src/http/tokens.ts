import type { Scope } from '../security.js';

/**
 * HTTP shapes of API tokens and join tokens (admin scope). Their request bodies,
 * `CreateTokenRequest` and `CreateJoinTokenRequest`, and those of `POST /enrol` are in security.ts.
 */

/** `GET /tokens`: an API token without its secret. */
export interface ApiTokenView {
  id: string;
  name: string;
  scope: Scope;
  createdAt: number;
}

/** `POST /tokens` (201): the new token with its secret, shown this once. */
export interface MintedApiToken extends ApiTokenView {
  token: string;
}

/** `DELETE /tokens/:id`: the token stopped working. */
export interface RevokedTokenReply {
  ok: true;
  revoked: string;
}

/** `POST /tokens/join` (201): a one-time join token and the command another host joins with. */
export interface MintedJoinToken {
  token: string;
  expiresAt: number;
  command: string;
}
