import { Injectable } from '@nestjs/common';
import { type AnalyticsReport, analyticsWindowMs } from '@shoal/protocol';
import { aggregateHistory } from '@shoal/scheduler';
import { HistoryStore } from './history-store.js';

/** Answers analytics queries from the history stream. */
@Injectable()
export class AnalyticsService {
  /** The clock of the window's end (replaceable in tests). */
  now: () => number = Date.now;

  constructor(private readonly store: HistoryStore) {}

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
