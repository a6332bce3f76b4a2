import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type HistoryRecord, decodeHistoryRecord, historyTopology } from '@shoal/protocol';

/** Settings of the history stream. */
export interface HistoryStreamOptions {
  /** Records older than this are dropped by JetStream (`max_age`). */
  retentionMs: number;
  /** Replicas (the coordinator's `natsReplicas`). */
  replicas: number;
}

/** Messages asked for per pull while reading the history back. */
const READ_BATCH = 2000;
/** A reading consumer left behind (reader crashed) is removed by the server after this. */
const READER_INACTIVE_MS = 60_000;
const NS_PER_MS = 1_000_000;

/**
 * Creates (idempotently) the `<NS>_HISTORY` stream: limits retention by age, file storage. An
 * existing stream gets the configured retention and replicas.
 */
export async function ensureHistoryStream(nc: NatsConnection, ns: string, opts: HistoryStreamOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const h = historyTopology(ns);
  const config = {
    name: h.stream,
    subjects: [h.all],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: opts.retentionMs * NS_PER_MS,
    duplicate_window: 120_000 * NS_PER_MS,
    num_replicas: opts.replicas,
  };
  try {
    const info = await jsm.streams.info(h.stream);
    if (info.config.max_age !== config.max_age || info.config.num_replicas !== config.num_replicas) {
      await jsm.streams.update(h.stream, { ...info.config, max_age: config.max_age, num_replicas: config.num_replicas });
    }
  } catch (e) {
    if (!/stream not found/i.test((e as Error).message)) throw e;
    await jsm.streams.add(config).catch((err: Error) => {
      if (!/already in use|stream name already/i.test(err.message)) throw err;
    });
  }
}

/**
 * Reads every history record stored since `since` (ms since epoch, by the stream's own time):
 * an ephemeral, unacknowledged pull consumer starting at that time (`DeliverPolicy.StartTime`),
 * pulled in batches until it has nothing pending, then deleted. (An ordered pull consumer would
 * do the same, but does not work on nats-server 2.9.) Records that do not decode are skipped
 * and counted.
 */
export async function readHistory(nc: NatsConnection, ns: string, since: number): Promise<{ records: HistoryRecord[]; skipped: number }> {
  const jsm = await jetstreamManager(nc);
  const stream = historyTopology(ns).stream;
  const info = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(since).toISOString(),
    inactive_threshold: READER_INACTIVE_MS * NS_PER_MS,
    mem_storage: true,
    num_replicas: 1,
  });
  const records: HistoryRecord[] = [];
  let skipped = 0;
  try {
    let pending = info.num_pending;
    if (pending === 0) return { records, skipped };
    const consumer = await jetstream(nc).consumers.get(stream, info.name);
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: READ_BATCH, expires: 5000 });
      let got = 0;
      for await (const m of batch) {
        got += 1;
        pending = m.info.pending;
        const r = decodeHistoryRecord(m.string());
        if (r) records.push(r);
        else skipped += 1;
      }
      if (got === 0) break; // nothing came within the pull's expiry: what is there has been read
    }
    return { records, skipped };
  } finally {
    await jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
}
