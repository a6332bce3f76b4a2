import { AckPolicy, DeliverPolicy, DiscardPolicy, type JsMsg, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type HistoryRecord, decodeHistoryRecords, historyTopology } from '@shoal/protocol';

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

/** Where a read of the history starts: at a time of the stream, or after a stream sequence. */
export type ReadFrom = { since: number } | { afterSeq: number };

/** What a read returned: the records in stream order, the last sequence read, undecodable ones skipped. */
export interface HistoryRead {
  records: HistoryRecord[];
  /** Stream sequence of the last message read (undefined when none was). */
  lastSeq?: number;
  skipped: number;
}

/**
 * Reads the history records stored since a time (the stream's own, `DeliverPolicy.StartTime`)
 * or after a sequence: an ephemeral, unacknowledged pull consumer, pulled in batches until it
 * has nothing pending, then deleted. (An ordered pull consumer would do the same, but does not
 * work on nats-server 2.9.) Records that do not decode are skipped and counted.
 */
export async function readHistory(nc: NatsConnection, ns: string, from: ReadFrom): Promise<HistoryRead> {
  const jsm = await jetstreamManager(nc);
  const stream = historyTopology(ns).stream;
  const start = 'since' in from ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(from.since).toISOString() } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.afterSeq + 1 };
  const info = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    ...start,
    inactive_threshold: READER_INACTIVE_MS * NS_PER_MS,
    mem_storage: true,
    num_replicas: 1,
  });
  const out: HistoryRead = { records: [], skipped: 0 };
  try {
    let pending = info.num_pending;
    if (pending === 0) return out;
    const consumer = await jetstream(nc).consumers.get(stream, info.name);
    while (pending > 0) {
      // never ask for more than is pending: a pull for more waits out its expiry before it ends
      const batch = await consumer.fetch({ max_messages: Math.min(READ_BATCH, pending), expires: 5000 });
      let last: JsMsg | undefined;
      const texts: string[] = [];
      for await (const m of batch) {
        last = m;
        texts.push(m.string());
      }
      if (!last) break; // nothing came within the pull's expiry: what is there has been read
      const decoded = decodeHistoryRecords(texts);
      for (const r of decoded.records) out.records.push(r);
      out.skipped += decoded.skipped;
      pending = last.info.pending;
      out.lastSeq = last.seq;
    }
    return out;
  } finally {
    await jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
}
