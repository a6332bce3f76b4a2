import type { HistoryRecord } from '@shoal/protocol';
import type { HistoryRead, ReadFrom } from './history-stream.js';

/** Options of a {@link HistoryCache}. */
export interface HistoryCacheOptions {
  /** Beyond this many records the cache keeps nothing (every query reads the stream). */
  maxRecords: number;
  /** Records older than this (by their own time) are dropped, as the stream drops them. */
  retentionMs: number;
  now: () => number;
}

/** The time a record is about: when the attempt, phase or run finished, or when the sample was taken. */
export function recordTime(r: HistoryRecord): number {
  return r.type === 'node' ? r.at : r.finishedAt;
}

/**
 * The decoded history in memory: the stream is append-only, so after one full read from a
 * time, each query reads only what was stored after the last sequence it saw. A query reaching
 * further back than the cache reads from its own start again. Reads never overlap.
 */
export class HistoryCache {
  private records: HistoryRecord[] = [];
  /** Stream time the cached records start at (undefined: nothing cached). */
  private from?: number;
  private lastSeq?: number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly read: (from: ReadFrom) => Promise<HistoryRead>,
    private readonly opts: HistoryCacheOptions,
  ) {}

  /** Records stored since `since` (possibly more: the aggregation filters by the records' own times). Do not modify them. */
  since(since: number): Promise<readonly HistoryRecord[]> {
    const next = this.queue.then(() => this.load(since));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** How many records are cached. */
  get size(): number {
    return this.records.length;
  }

  private async load(since: number): Promise<readonly HistoryRecord[]> {
    if (this.from === undefined || since < this.from) {
      const r = await this.read({ since });
      this.records = r.records;
      this.from = since;
      this.lastSeq = r.lastSeq;
    } else {
      const r = await this.read(this.lastSeq === undefined ? { since: this.from } : { afterSeq: this.lastSeq });
      for (const rec of r.records) this.records.push(rec);
      this.lastSeq = r.lastSeq ?? this.lastSeq;
    }
    const oldest = this.opts.now() - this.opts.retentionMs;
    if (this.records.length && recordTime(this.records[0]!) < oldest) {
      this.records = this.records.filter((r) => recordTime(r) >= oldest);
      this.from = Math.max(this.from, oldest);
    }
    const answer = this.records;
    if (answer.length > this.opts.maxRecords) this.clear();
    return answer;
  }

  private clear(): void {
    this.records = [];
    this.from = this.lastSeq = undefined;
  }
}
