import { Injectable } from '@nestjs/common';

/** Counters the coordinator exposes in Prometheus text format on /metrics. */
@Injectable()
export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, () => number>();

  /** Counts a malformed message of a subject kind. */
  malformed(kind: string): void {
    this.inc(`shoal_malformed_messages_total{kind="${kind}"}`);
  }

  inc(series: string, by = 1): void {
    this.counters.set(series, (this.counters.get(series) ?? 0) + by);
  }

  /** Registers a gauge read at scrape time. */
  gauge(series: string, read: () => number): void {
    this.gauges.set(series, read);
  }

  value(series: string): number {
    return this.counters.get(series) ?? this.gauges.get(series)?.() ?? 0;
  }

  /** Prometheus exposition text. */
  render(): string {
    const lines: string[] = [];
    for (const [k, v] of this.counters) lines.push(`${k} ${v}`);
    for (const [k, read] of this.gauges) lines.push(`${k} ${read()}`);
    return `${lines.sort().join('\n')}\n`;
  }
}
