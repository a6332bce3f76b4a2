import { hostname } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import { EnrolReply, type EnrolRequest, PROTOCOL_VERSION } from '@shoal/protocol';
import { type NatsAuth, type NodeCredentials, connectNats, newUserKeys, readNodeCredentials, writeNodeCredentials } from '@shoal/runtime';

/** How this node-agent reaches the bus: with its own identity (enrolled), or anonymously (insecure bus). */
export interface BusIdentity {
  /** `credentials`: a credentials file existed; `enrolled`: created just now; `anonymous`: neither. */
  mode: 'credentials' | 'enrolled' | 'anonymous';
  servers: string[];
  namespace: string;
  /** Empty for an anonymous connection. Holds the seed: never log it. */
  auth: NatsAuth;
}

/** What identity resolution reads from the configuration. */
export interface IdentityConfig {
  nodeId: string;
  /** True when SHOAL_NODE_ID was given (then it must match the credentials file). */
  nodeIdExplicit: boolean;
  natsUrl: string;
  namespace: string;
  labels: Record<string, string>;
  credentialsPath: string;
  joinUrl?: string;
  joinToken?: string;
}

/**
 * Finds this node's bus identity: the credentials file (`SHOAL_CREDENTIALS`), else an enrolment with
 * `SHOAL_JOIN_URL` + `SHOAL_JOIN_TOKEN` (keys generated here, the seed never leaves the host), else
 * an anonymous connection to NATS_URL. Throws with a message an operator can act on.
 */
export async function resolveBusIdentity(config: IdentityConfig, fetchImpl: typeof fetch = fetch): Promise<BusIdentity> {
  let creds = readCredentials(config.credentialsPath);
  let mode: BusIdentity['mode'] = 'credentials';
  if (!creds && (config.joinUrl || config.joinToken)) {
    if (!config.joinUrl || !config.joinToken) throw new Error('SHOAL_JOIN_URL and SHOAL_JOIN_TOKEN must be given together');
    creds = await enrol(config, fetchImpl);
    writeNodeCredentials(config.credentialsPath, creds);
    mode = 'enrolled';
  }
  if (!creds) return { mode: 'anonymous', servers: splitServers(config.natsUrl), namespace: config.namespace, auth: {} };
  if (creds.nodeId !== config.nodeId) {
    throw new Error(
      `credentials file ${config.credentialsPath} belongs to node ${creds.nodeId}, but SHOAL_NODE_ID is ${config.nodeId}: ` +
        'start with the node id it was enrolled as, or point SHOAL_CREDENTIALS elsewhere and join again',
    );
  }
  return {
    mode,
    servers: creds.servers,
    namespace: creds.namespace,
    auth: { seed: creds.seed, inboxPrefix: creds.inboxPrefix, ...(creds.caPem ? { caPem: creds.caPem } : {}) },
  };
}

/** Exchanges the one-time join token for this node's place on the bus; the keys are generated here. */
export async function enrol(config: IdentityConfig, fetchImpl: typeof fetch = fetch): Promise<NodeCredentials> {
  const url = `${config.joinUrl!.replace(/\/+$/, '')}/enrol`;
  const keys = newUserKeys();
  const body: EnrolRequest = {
    v: PROTOCOL_VERSION,
    token: config.joinToken!,
    nodeId: config.nodeId,
    publicKey: keys.publicKey,
    hostname: hostname().slice(0, 255),
    labels: config.labels,
  };
  let res: Response;
  try {
    res = await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new Error(`enrolment at ${url} failed: cannot reach the coordinator (${(e as Error).message})`);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(enrolFailure(url, res.status, text, config.nodeId));
  let reply: EnrolReply;
  try {
    reply = EnrolReply.parse(JSON.parse(text));
  } catch (e) {
    throw new Error(`enrolment at ${url} failed: the coordinator's answer is not an enrolment reply (${(e as Error).message.slice(0, 300)})`);
  }
  if (reply.nodeId !== config.nodeId) throw new Error(`enrolment at ${url} failed: the coordinator enrolled node ${reply.nodeId}, not ${config.nodeId}`);
  return {
    nodeId: reply.nodeId,
    namespace: reply.namespace,
    servers: reply.servers,
    seed: keys.seed,
    publicKey: keys.publicKey,
    inboxPrefix: reply.inboxPrefix,
    ...(reply.caPem ? { caPem: reply.caPem } : {}),
    coordinator: config.joinUrl!.slice(0, 512),
  };
}

/** Why an enrolment was refused, in words for the operator (never echoes the token). Pure. */
export function enrolFailure(url: string, status: number, body: string, nodeId: string): string {
  let message = '';
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message.slice(0, 500);
  } catch {
    message = body.slice(0, 200);
  }
  const said = message ? `: ${message}` : '';
  // the coordinator's message usually says what to do already; the hint is added only where it does not
  const hint = (text: string, what: string) => (message?.includes(what) ? '' : `. ${text}`);
  if (status === 401) return `enrolment at ${url} refused (401)${said}${hint('The join token is unknown, already used or expired: mint another with `shoal token join`', 'shoal token join')}`;
  if (status === 409) return `enrolment at ${url} refused (409)${said}${hint(`Node id ${nodeId} is enrolled with another key: remove it first (\`shoal nodes remove ${nodeId}\`) or join with another --node-id`, 'shoal nodes remove')}`;
  if (status === 400) return `enrolment at ${url} refused (400)${said}`;
  return `enrolment at ${url} failed with HTTP ${status}${said}`;
}

/**
 * Connects; an identity that was enrolled a moment ago may not be known to nats-server yet (the
 * coordinator reloads it right after the enrolment), so "Authorization Violation" is retried for
 * up to `authRetryMs`.
 */
export async function connectBus(id: BusIdentity, name: string, authRetryMs = 10_000): Promise<NatsConnection> {
  const deadline = Date.now() + authRetryMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await connectNats(id.servers, name, id.auth);
    } catch (e) {
      const authorization = /authorization violation|authentication/i.test((e as Error).message);
      if (!authorization || id.mode === 'anonymous' || Date.now() + delay > deadline) {
        if (authorization && id.mode !== 'anonymous') {
          throw new Error(`${(e as Error).message}: NATS does not accept this node's credentials (removed with \`shoal nodes remove\`?); join again with a new token`, { cause: e });
        }
        throw e;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function readCredentials(path: string): NodeCredentials | undefined {
  try {
    return readNodeCredentials(path);
  } catch (e) {
    throw new Error(`credentials file ${path} is unreadable: ${(e as Error).message.slice(0, 500)}`);
  }
}

function splitServers(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
