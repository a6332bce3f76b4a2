import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/** Event-loop delay windows kept: the gauges report the worst of the last this-many seconds. */
const LOOP_WINDOWS = 10;

/** Counters the coordinator exposes in Prometheus text format on /metrics. */
@Injectable()
export class Metrics implements OnModuleDestroy {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, () => number>();
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  /** Max and p99 (ms) of each closed 1 s window, newest last. */
  private readonly loopWindows: { max: number; p99: number }[] = [];
  private readonly loopTimer: NodeJS.Timeout;

  constructor() {
    // How long the event loop was blocked (heartbeats, status and HTTP all wait that long):
    // the worst 1 s window of the last 10 s, so a scrape every few seconds sees every stall.
    this.loop.enable();
    this.loopTimer = setInterval(() => this.rollLoopWindow(), 1000);
    this.loopTimer.unref();
    this.gauge('shoal_event_loop_delay_max_ms', () => this.loopDelay().max);
    this.gauge('shoal_event_loop_delay_p99_ms', () => this.loopDelay().p99);
  }

  /** Worst event-loop delay (ms) over the last {@link LOOP_WINDOWS} seconds, the open window included. */
  loopDelay(): { max: number; p99: number } {
    const open = this.loop.count ? { max: this.loop.max / 1e6, p99: this.loop.percentile(99) / 1e6 } : { max: 0, p99: 0 };
    const all = [...this.loopWindows, open];
    return { max: +Math.max(...all.map((w) => w.max)).toFixed(1), p99: +Math.max(...all.map((w) => w.p99)).toFixed(1) };
  }

  onModuleDestroy(): void {
    clearInterval(this.loopTimer);
    this.loop.disable();
  }

  private rollLoopWindow(): void {
    this.loopWindows.push(this.loop.count ? { max: this.loop.max / 1e6, p99: this.loop.percentile(99) / 1e6 } : { max: 0, p99: 0 });
    if (this.loopWindows.length > LOOP_WINDOWS) this.loopWindows.shift();
    this.loop.reset();
  }

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
