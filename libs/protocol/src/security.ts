import { z } from 'zod';
import { Id } from './ids.js';
import { PROTOCOL_VERSION } from './messages.js';
import type { Topology } from './subjects.js';

/**
 * Scopes of API tokens, weakest first: `read` sees runs, nodes and metrics; `operate` also
 * submits, cancels, retries and steers agents; `admin` also mints tokens and removes nodes.
 */
export const Scope = z.enum(['read', 'operate', 'admin']);
export type Scope = z.infer<typeof Scope>;

/** True when a token of scope `held` may do what needs scope `needed` (scopes are ordered). */
export function scopeAllows(held: Scope, needed: Scope): boolean {
  return Scope.options.indexOf(held) >= Scope.options.indexOf(needed);
}

/** A public nkey of a NATS user (`U` + 55 base32 characters). */
export const UserPublicKey = z.string().regex(/^U[A-Z2-7]{55}$/, 'must be a NATS user public nkey (U followed by 55 base32 characters)');

const Labels = z.record(z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/), z.string().regex(/^[A-Za-z0-9._-]{0,63}$/)).optional();

/**
 * `POST /enrol`: a host exchanges a one-time join token for the right to connect to NATS with
 * the key pair it generated itself. Only the public key travels; the seed never leaves the host.
 */
export const EnrolRequest = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  token: z.string().min(8).max(256),
  nodeId: Id,
  publicKey: UserPublicKey,
  hostname: z.string().max(255).optional(),
  labels: Labels,
});
export type EnrolRequest = z.infer<typeof EnrolRequest>;

/** The answer to an enrolment: where NATS is and which names this node must use on it. */
export const EnrolReply = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  nodeId: Id,
  namespace: z.string().max(31),
  /** NATS URLs reachable from the node (`nats://` or `tls://`). */
  servers: z.array(z.string().max(512)).min(1).max(16),
  /** Reply-subject prefix the node must connect with (its only inbox right). */
  inboxPrefix: z.string().max(128),
  /** PEM of the CA that signed the NATS server certificate, when TLS is on. */
  caPem: z.string().max(64 * 1024).optional(),
});
export type EnrolReply = z.infer<typeof EnrolReply>;

/** `POST /tokens`: mint an API token. */
export const CreateTokenRequest = z.strictObject({
  scope: Scope,
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9._ -]+$/, 'letters, digits, spaces, dot, dash, underscore').optional(),
});
export type CreateTokenRequest = z.infer<typeof CreateTokenRequest>;

/** `POST /tokens/join`: mint a one-time join token. */
export const CreateJoinTokenRequest = z.strictObject({
  /** Lifetime in ms (default one hour, at most 7 days). */
  ttlMs: z.number().int().min(1000).max(7 * 86_400_000).optional(),
});
export type CreateJoinTokenRequest = z.infer<typeof CreateJoinTokenRequest>;

/** Default lifetime of a join token. */
export const JOIN_TOKEN_TTL_MS = 3_600_000;

/** NATS subject permissions of one identity (nats-server `permissions` block). */
export interface SubjectPermissions {
  publish: string[];
  subscribe: string[];
  /** Lets the identity answer requests sent to it (one reply each). */
  allowResponses: boolean;
}

/** The reply-subject prefix of a node: its only inbox, so no node can read another's replies. */
export function nodeInboxPrefix(topo: Topology, nodeId: string): string {
  return `_INBOX_${topo.ns.replace(/-/g, '_')}_${nodeId}`;
}

/**
 * Least privilege of a node-agent: pull and ack its own work, publish only its own status,
 * heartbeats, output and check-ins, answer only its own control subject. It cannot publish work,
 * create or delete streams, read KV, or see another node's replies.
 */
export function nodePermissions(topo: Topology, nodeId: string): SubjectPermissions {
  const consumer = topo.nodeConsumer(nodeId);
  return {
    publish: [
      `$JS.API.CONSUMER.INFO.${topo.workStream}.${consumer}`,
      `$JS.API.CONSUMER.MSG.NEXT.${topo.workStream}.${consumer}`,
      `$JS.ACK.${topo.workStream}.${consumer}.>`,
      topo.status(nodeId),
      topo.heartbeat(nodeId),
      topo.nodeOutput(nodeId),
      topo.nodeCheckins(nodeId),
    ],
    subscribe: [`${nodeInboxPrefix(topo, nodeId)}.>`, topo.control(nodeId)],
    allowResponses: true,
  };
}

/** The coordinator: the only dispatcher; it owns the namespace's subjects, streams and buckets. */
export function coordinatorPermissions(topo: Topology): SubjectPermissions {
  return {
    publish: [`${topo.ns}.>`, '$JS.API.>', '$JS.ACK.>', '$JS.FC.>', '$KV.>', '_INBOX.>'],
    subscribe: [`${topo.ns}.>`, '_INBOX.>', '$KV.>'],
    allowResponses: true,
  };
}
