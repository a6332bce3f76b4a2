import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type AnalyticsReport, analyticsWindowMs } from '@shoal/protocol';
import { aggregateHistory } from '@shoal/scheduler';
import { HistoryStore } from './history-store.js';

/** A few seconds after start the default window is read into memory, so that the first query is quick. */
const PRELOAD_AFTER_MS = 5000;

/** Answers analytics queries from the history stream. */
@Injectable()
export class AnalyticsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('analytics');
  private preload?: NodeJS.Timeout;
  /** The clock of the window's end (replaceable in tests). */
  now: () => number = Date.now;

  constructor(private readonly store: HistoryStore) {}

  onApplicationBootstrap(): void {
    this.preload = setTimeout(() => {
      const started = Date.now();
      this.store.read(this.now() - analyticsWindowMs(undefined)).then(
        (records) => this.log.log(`history of the last 7 days read into memory: ${records.length} record(s) in ${Date.now() - started} ms`),
        (e: Error) => this.log.warn(`history not read ahead (the first analytics query reads it): ${e.message}`),
      );
    }, PRELOAD_AFTER_MS);
    this.preload.unref();
  }

  onModuleDestroy(): void {
    clearTimeout(this.preload);
  }

  /**
   * The report of the window ending now: `since` is `7d` (default), `12h`, `30m`, ...; a
   * malformed one is a ValidationError on `since`. `history` says how many records this
   * coordinator dropped (its buffer overflowed while JetStream did not take them).
   */
  async report(since: string | undefined): Promise<AnalyticsReport> {
    const windowMs = analyticsWindowMs(since);
    const until = this.now();
    const records = await this.store.read(until - windowMs);
    const { dropped, buffered } = this.store.counts();
    return { ...aggregateHistory(records, { since: until - windowMs, until }), history: { records: records.length, dropped, buffered } };
  }
}
