import { AckPolicy, DiscardPolicy, type JetStreamManager, RetentionPolicy, StorageType, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { type NatsConnection, connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { TransportError, type Topology } from '@shoal/protocol';

/** How a client proves who it is to NATS (none: anonymous, for a bus without authorization). */
export interface NatsAuth {
  /** nkey seed of the identity. */
  seed?: string;
  /** Reply-subject prefix the identity may subscribe to (nodes have only their own). */
  inboxPrefix?: string;
  /** PEM of the CA to verify a `tls://` server with. */
  caPem?: string;
}

/** Connects with endless reconnects; a first connection failure is a TransportError. */
export async function connectNats(servers: string | string[], name: string, auth: NatsAuth = {}): Promise<NatsConnection> {
  const list = (Array.isArray(servers) ? servers : servers.split(',')).map((s) => s.trim()).filter(Boolean);
  try {
    return await connect({
      servers: list,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      pingInterval: 10_000,
      // no stack captured up front for every request and publish ack (two Error objects each: 3% of
      // the coordinator's CPU at 1,000 nodes, plus their garbage); failures are wrapped in Shoal's
      // errors with what was asked, so the lost async trace says nothing they do not
      noAsyncTraces: true,
      ...(auth.seed ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(auth.seed)) } : {}),
      ...(auth.inboxPrefix ? { inboxPrefix: auth.inboxPrefix } : {}),
      ...(auth.caPem ? { tls: { ca: auth.caPem } } : {}),
    });
  } catch (e) {
    throw new TransportError(`cannot connect to NATS at ${list.join(',')}: ${(e as Error).message}`, { cause: e });
  }
}

/** Bucket-wide age limit of the result cache (per-entry TTLs are checked by the coordinator). */
export const CACHE_MAX_AGE_MS = 30 * 24 * 3_600_000;

/** Stream settings Shoal relies on. */
export interface TopologyOptions {
  /** Replicas of every stream and KV bucket (1..5; 3 on a 3-server cluster). Existing ones are raised or lowered to it. */
  replicas?: number;
  /** How long a status report waits in the stream for the coordinator. */
  statusMaxAgeMs?: number;
}

/**
 * Creates (idempotently) the work and status streams and the KV buckets of a topology.
 * Work: work-queue retention, one subject per node, 2-minute msg-id dedupe window.
 */
export async function ensureTopology(nc: NatsConnection, topo: Topology, opts: TopologyOptions = {}): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const replicas = opts.replicas ?? 1;
  // only a caller that states the replicas changes existing streams (a node-agent does not)
  const enforce = opts.replicas !== undefined;
  await upsertStream(jsm, {
    name: topo.workStream,
    subjects: [topo.allWork],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: 120_000_000_000,
    num_replicas: replicas,
  }, enforce);
  await upsertStream(jsm, {
    name: topo.statusStream,
    subjects: [topo.allStatus],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: (opts.statusMaxAgeMs ?? 24 * 3_600_000) * 1_000_000,
    duplicate_window: 120_000_000_000,
    num_replicas: replicas,
  }, enforce);
  // keeps the work consumers' max-deliveries advisories (core messages, lost when nobody listens)
  // until the coordinator has failed the attempt (see WORK_DELIVERY)
  await upsertStream(jsm, {
    name: topo.undeliverableStream,
    subjects: [topo.workMaxDeliveries],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: 7 * 24 * 3_600_000 * 1_000_000,
    num_replicas: replicas,
  }, enforce);
  const kvm = new Kvm(nc);
  await kvm.create(topo.runsBucket, { history: 1, replicas });
  await kvm.create(topo.nodesBucket, { history: 1, replicas });
  await kvm.create(topo.cacheBucket, { history: 1, replicas, ttl: CACHE_MAX_AGE_MS });
  await kvm.create(topo.leaderBucket, { history: 1, replicas });
  if (enforce) for (const bucket of [topo.runsBucket, topo.nodesBucket, topo.cacheBucket, topo.leaderBucket]) await ensureReplicas(jsm, `KV_${bucket}`, replicas);
}

/**
 * Delivery settings of a node's work consumer, chosen deliberately:
 * - `ackWaitMs` 60 s: a node acks a work message once its process has started (seconds), or naks
 *   it with a short delay when it cannot admit it yet; a message pulled by a node that died
 *   before acking is delivered again after this.
 * - `maxDeliver` 20: after 20 deliveries without an ack JetStream gives up on the message and
 *   publishes a MAX_DELIVERIES advisory; the coordinator keeps those in the undeliverable stream
 *   and fails the attempt (`work undeliverable after N deliveries`), so it retries per its policy
 *   instead of sitting in limbo. A node that is down pulls nothing, so its queued work is not
 *   counted against this; only pulls that end in a nak, a crash or an expired ack wait are.
 */
export const WORK_DELIVERY = { ackWaitMs: 60_000, maxDeliver: 20 } as const;

/**
 * Ensures a durable pull consumer with explicit acks exists, with the given ack wait. `maxDeliver`
 * is applied when given (-1: unlimited); when omitted, a new consumer gets unlimited deliveries
 * and an existing one keeps its setting (so a caller that does not know it never resets it).
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  filterSubject: string,
  ackWaitMs: number,
  maxDeliver?: number,
): Promise<void> {
  const ackWait = ackWaitMs * 1_000_000;
  let exists = false;
  try {
    await jsm.consumers.info(stream, durable);
    exists = true;
  } catch (e) {
    if (!/consumer not found/i.test((e as Error).message) && (e as Error).name !== 'ConsumerNotFoundError') throw e;
  }
  if (exists) {
    await jsm.consumers.update(stream, durable, { ack_wait: ackWait, ...(maxDeliver !== undefined ? { max_deliver: maxDeliver } : {}) });
    return;
  }
  const config = { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: filterSubject, ack_wait: ackWait, max_deliver: maxDeliver ?? -1 };
  try {
    await jsm.consumers.add(stream, config);
  } catch (e) {
    // created meanwhile by another client (coordinator and node-agent both ensure it): settle the limits
    if (!/already (exists|in use)/i.test((e as Error).message)) throw e;
    await jsm.consumers.update(stream, durable, { ack_wait: ackWait, ...(maxDeliver !== undefined ? { max_deliver: maxDeliver } : {}) });
  }
}

async function upsertStream(jsm: JetStreamManager, config: Parameters<JetStreamManager['streams']['add']>[0], enforceReplicas: boolean): Promise<void> {
  let exists = true;
  try {
    await jsm.streams.info(config.name!);
  } catch (e) {
    if (!/stream not found/i.test((e as Error).message)) throw e;
    exists = false;
  }
  if (exists) return enforceReplicas ? ensureReplicas(jsm, config.name!, config.num_replicas ?? 1) : undefined;
  try {
    await jsm.streams.add(config);
  } catch (e) {
    if (!/already in use|stream name already/i.test((e as Error).message)) throw e;
  }
}

/** Raises or lowers an existing stream's replicas to `replicas` (a cluster moves the data itself). */
async function ensureReplicas(jsm: JetStreamManager, stream: string, replicas: number): Promise<void> {
  const info = await jsm.streams.info(stream);
  if (info.config.num_replicas === replicas) return;
  try {
    await jsm.streams.update(stream, { ...info.config, num_replicas: replicas });
  } catch (e) {
    throw new TransportError(`stream ${stream} has ${info.config.num_replicas} replica(s), cannot change to ${replicas}: ${(e as Error).message}`, { cause: e });
  }
}

export { jetstreamManager };
