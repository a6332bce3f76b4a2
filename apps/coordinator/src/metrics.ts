import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { MetricRegistry } from '@shoal/runtime';
import { LoopWatch } from './loop-watch.js';
import { COORDINATOR_METRICS } from './telemetry/catalog.js';

/**
 * The coordinator's metrics through the OpenTelemetry SDK (see {@link COORDINATOR_METRICS} for
 * every one), served in Prometheus text on `GET /metrics`. Services record with `add` / `record`
 * and register read-at-scrape gauges with `observe`.
 */
@Injectable()
export class Metrics extends MetricRegistry<typeof COORDINATOR_METRICS> implements OnModuleDestroy {
  /** How long the event loop was blocked (heartbeats, status and HTTP all wait that long). */
  readonly loop = new LoopWatch();

  constructor() {
    super(COORDINATOR_METRICS, { serviceName: 'shoal-coordinator' });
    // worst 1 s window of the last 10 s: a scrape every few seconds sees every stall
    this.loop.start();
    this.observe('loopDelayMax', () => this.loop.figures().delayMax / 1000);
    this.observe('loopDelayP99', () => this.loop.figures().delayP99 / 1000);
    this.observe('loopBusyMax', () => this.loop.figures().busyMax / 1000);
  }

  async onModuleDestroy(): Promise<void> {
    this.loop.stop();
    await this.shutdown();
  }

  /** Counts a malformed message of a subject kind. */
  malformed(kind: string): void {
    this.add('malformedMessages', { kind });
  }
}
