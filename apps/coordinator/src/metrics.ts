import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LoopWatch } from './loop-watch.js';

/** Counters the coordinator exposes in Prometheus text format on /metrics. */
@Injectable()
export class Metrics implements OnModuleDestroy {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, () => number>();
  private readonly families = new Map<string, () => Array<[string, number]>>();
  /** How long the event loop was blocked (heartbeats, status and HTTP all wait that long). */
  readonly loop = new LoopWatch();

  constructor() {
    // worst 1 s window of the last 10 s: a scrape every few seconds sees every stall
    this.loop.start();
    this.gauge('shoal_event_loop_delay_max_ms', () => this.loop.figures().delayMax);
    this.gauge('shoal_event_loop_delay_p99_ms', () => this.loop.figures().delayP99);
    this.gauge('shoal_event_loop_busy_max_ms', () => this.loop.figures().busyMax);
  }

  onModuleDestroy(): void {
    this.loop.stop();
  }

  /** Counts a malformed message of a subject kind. */
  malformed(kind: string): void {
    this.inc(`shoal_malformed_messages_total{kind="${kind}"}`);
  }

  inc(series: string, by = 1): void {
    this.counters.set(series, (this.counters.get(series) ?? 0) + by);
  }

  /** Registers a family of series read at scrape time: `[labels, value]` pairs, e.g. `['node="a"', 3]`. */
  family(name: string, read: () => Array<[string, number]>): void {
    this.families.set(name, read);
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
    for (const [name, read] of this.families) for (const [labels, v] of read()) lines.push(`${name}{${labels}} ${v}`);
    return `${lines.sort().join('\n')}\n`;
  }
}
