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
  await upsertStream(jsm, {
    name: topo.workStream,
    subjects: [topo.allWork],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: 120_000_000_000,
    num_replicas: replicas,
  });
  await upsertStream(jsm, {
    name: topo.statusStream,
    subjects: [topo.allStatus],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: (opts.statusMaxAgeMs ?? 24 * 3_600_000) * 1_000_000,
    duplicate_window: 120_000_000_000,
    num_replicas: replicas,
  });
  const kvm = new Kvm(nc);
  await kvm.create(topo.runsBucket, { history: 1, replicas });
  await kvm.create(topo.nodesBucket, { history: 1, replicas });
  await kvm.create(topo.cacheBucket, { history: 1, replicas, ttl: CACHE_MAX_AGE_MS });
}

/** Ensures a durable pull consumer with explicit acks exists. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  filterSubject: string,
  ackWaitMs: number,
  maxDeliver = -1,
): Promise<void> {
  const config = { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: filterSubject, ack_wait: ackWaitMs * 1_000_000, max_deliver: maxDeliver };
  try {
    await jsm.consumers.info(stream, durable);
    await jsm.consumers.update(stream, durable, { ack_wait: config.ack_wait, max_deliver: maxDeliver });
  } catch {
    await jsm.consumers.add(stream, config);
  }
}

async function upsertStream(jsm: JetStreamManager, config: Parameters<JetStreamManager['streams']['add']>[0]): Promise<void> {
  try {
    await jsm.streams.info(config.name!);
  } catch {
    try {
      await jsm.streams.add(config);
    } catch (e) {
      if (!/already in use|stream name already/i.test((e as Error).message)) throw e;
    }
  }
}

export { jetstreamManager };
