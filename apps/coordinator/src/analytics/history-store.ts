import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { HistoryRecord, historyTopology } from '@shoal/protocol';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config.js';
import { NatsGateway } from '../nats.gateway.js';
import { HistoryCache } from './history-cache.js';
import { type HistoryConfig, loadHistoryConfig } from './history-config.js';
import { ensureHistoryStream, readHistory } from './history-stream.js';

/** Records published concurrently in one flush step. */
const PUBLISH_BATCH = 256;
/** Most decoded records kept in memory (roughly 300 B each); a larger history is read from the stream at each query. */
const CACHE_MAX_RECORDS = 300_000;
/** Wait before publishing again after a failure. */
const RETRY_MS = 2000;

/** How many history records were taken, published and dropped since the coordinator started. */
export interface HistoryCounts {
  appended: number;
  published: number;
  /** Dropped: the buffer overflowed while JetStream did not take them, or a record was invalid. */
  dropped: number;
  /** Waiting in the buffer now. */
  buffered: number;
}

/**
 * The history stream (`<NS>_HISTORY`): {@link append} never blocks and never throws (the run
 * path calls it); records wait in a bounded buffer and are published in the background, best
 * effort, deduplicated by a message id per record. When JetStream does not take them for long,
 * the oldest are dropped and counted.
 */
@Injectable()
export class HistoryStore implements OnModuleDestroy {
  private readonly log = new Logger('history');
  readonly settings: HistoryConfig;
  private readonly buffer: HistoryRecord[] = [];
  private readonly counters = { appended: 0, published: 0, dropped: 0 };
  private ready?: Promise<void>;
  private js?: JetStreamClient;
  private flushing?: Promise<boolean>;
  private timer?: NodeJS.Timeout;
  private lastError?: string;
  private stopped = false;
  private readonly cache: HistoryCache;

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly nats: NatsGateway,
  ) {
    this.settings = loadHistoryConfig();
    this.cache = new HistoryCache(
      async (from) => {
        const r = await readHistory(this.nats.connection, this.config.namespace, from);
        if (r.skipped) this.log.warn(`${r.skipped} history record(s) could not be decoded and were skipped`);
        return r;
      },
      { maxRecords: CACHE_MAX_RECORDS, retentionMs: this.settings.retentionMs, now: Date.now },
    );
  }

  counts(): HistoryCounts {
    return { ...this.counters, buffered: this.buffer.length };
  }

  /** Queues a record for the stream; returns at once. */
  append(record: HistoryRecord): void {
    this.counters.appended += 1;
    const valid = HistoryRecord.safeParse(record);
    if (!valid.success) {
      this.counters.dropped += 1;
      const issue = valid.error.issues[0];
      this.log.warn(`${record.type} history record dropped, invalid: ${issue?.path.join('.')}: ${issue?.message}`);
      return;
    }
    this.buffer.push(valid.data);
    if (this.buffer.length > this.settings.bufferLimit) {
      this.buffer.shift();
      this.counters.dropped += 1;
      if (this.counters.dropped % 1000 === 1) this.log.warn(`history buffer full (${this.settings.bufferLimit}): dropping the oldest records (${this.counters.dropped} so far)`);
    }
    this.schedule(0);
  }

  /**
   * Every record stored since `since` (ms since epoch), possibly more (filter by the records' own
   * times). Served from the in-memory cache, which reads only what the stream got since the last query.
   */
  async read(since: number): Promise<readonly HistoryRecord[]> {
    await this.ensure();
    return this.cache.since(since);
  }

  /** Publishes what is buffered now (tests, shutdown); resolves when the buffer is empty or a publish failed. */
  async flush(): Promise<void> {
    while (this.buffer.length > 0 && !this.stopped) {
      this.flushing ??= this.publishSome().finally(() => (this.flushing = undefined));
      if (!(await this.flushing)) return;
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    if (this.buffer.length && this.nats.connected) await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 1000))]);
    this.stopped = true;
  }

  /** Creates the stream once (again after a failure). */
  private ensure(): Promise<void> {
    this.ready ??= ensureHistoryStream(this.nats.connection, this.config.namespace, { retentionMs: this.settings.retentionMs, replicas: this.config.natsReplicas }).catch((e: Error) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.flushing || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing ??= this.publishSome().finally(() => (this.flushing = undefined));
      void this.flushing.then((ok) => {
        if (this.buffer.length) this.schedule(ok ? 0 : RETRY_MS);
      });
    }, delayMs);
  }

  /** Publishes one batch; false when something failed (the failed records stay, in order). */
  private async publishSome(): Promise<boolean> {
    const batch = this.buffer.splice(0, PUBLISH_BATCH);
    if (!batch.length) return true;
    try {
      await this.ensure();
      this.js ??= jetstream(this.nats.connection, { timeout: 5000 });
      const h = historyTopology(this.config.namespace);
      const results = await Promise.allSettled(batch.map((r) => this.js!.publish(h.subject(r.type), JSON.stringify(r), { msgID: messageId(r) })));
      const failed = batch.filter((_, i) => results[i]!.status === 'rejected');
      this.counters.published += batch.length - failed.length;
      if (!failed.length) {
        if (this.lastError) this.log.log('history records are published again');
        this.lastError = undefined;
        return true;
      }
      this.requeue(failed);
      this.complain((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error);
      return false;
    } catch (e) {
      this.requeue(batch);
      this.complain(e as Error);
      return false;
    }
  }

  /** Puts records back at the front, within the buffer's limit (the oldest beyond it are dropped). */
  private requeue(records: HistoryRecord[]): void {
    this.buffer.unshift(...records);
    const over = this.buffer.length - this.settings.bufferLimit;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.counters.dropped += over;
    }
  }

  private complain(e: Error): void {
    if (e.message === this.lastError) return;
    this.lastError = e.message;
    this.log.warn(`history records not published yet (${this.buffer.length} buffered, retrying every ${RETRY_MS / 1000} s): ${e.message}`);
  }
}

/** The deduplication id of a record: a record published twice within two minutes is stored once. */
export function messageId(r: HistoryRecord): string {
  switch (r.type) {
    case 'attempt':
      return `attempt.${r.runId}.${r.taskId}.${r.attempt}`;
    case 'run':
      return `run.${r.runId}`;
    case 'phase':
      return `phase.${r.runId}.${r.phaseId}`;
    case 'node':
      return `node.${r.nodeId}.${r.at}`;
  }
}
