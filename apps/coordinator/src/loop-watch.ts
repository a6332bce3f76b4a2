import { readFileSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Windows of 1 s kept: the figures are the worst of the last this-many seconds. */
const WINDOWS = 10;
/** Period of the CPU probe of the main thread. */
const BUSY_TICK_MS = 20;

/** Worst figures of one window, in ms. */
export interface LoopFigures {
  /** Longest event-loop delay (wall clock: our own work plus time the OS gave the CPU to others). */
  delayMax: number;
  delayP99: number;
  /**
   * Most CPU time the main thread used between two probe ticks (20 ms apart while the loop is
   * free): an upper bound of how long our own code held the loop, whatever else the machine runs
   * (Linux `/proc/<pid>/schedstat`; 0 elsewhere).
   */
  busyMax: number;
}

/**
 * How long the coordinator's event loop is blocked: `perf_hooks.monitorEventLoopDelay` (10 ms
 * resolution) for the wall-clock delay every heartbeat, status report and request waits, and the
 * main thread's own CPU time between probe ticks, which tells our blocking apart from a busy host.
 * Figures are kept per 1 s window; {@link figures} is the worst of the last 10 s.
 */
export class LoopWatch {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly windows: LoopFigures[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private busyMax = 0;
  private readonly readCpuNs: () => number | undefined;

  constructor(pid = process.pid) {
    this.readCpuNs = () => {
      try {
        return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        return undefined;
      }
    };
  }

  start(): void {
    this.loop.enable();
    let lastCpu = this.readCpuNs();
    let lastAt = performance.now();
    const probe = setInterval(() => {
      const cpu = this.readCpuNs();
      const at = performance.now();
      if (cpu !== undefined && lastCpu !== undefined) {
        // CPU used since the last tick; a loop that was free used ~0 of the interval
        const busy = Math.min((cpu - lastCpu) / 1e6, at - lastAt);
        if (busy > this.busyMax) this.busyMax = busy;
      }
      lastCpu = cpu;
      lastAt = at;
    }, BUSY_TICK_MS);
    const roll = setInterval(() => this.roll(), 1000);
    for (const t of [probe, roll]) t.unref();
    this.timers.push(probe, roll);
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
    this.loop.disable();
  }

  /** The worst of the last 10 s, the open window included; ms with one decimal. */
  figures(): LoopFigures {
    const all = [...this.windows, this.current()];
    const worst = (k: keyof LoopFigures) => +Math.max(...all.map((w) => w[k])).toFixed(1);
    return { delayMax: worst('delayMax'), delayP99: worst('delayP99'), busyMax: worst('busyMax') };
  }

  private current(): LoopFigures {
    const h = this.loop;
    return h.count ? { delayMax: h.max / 1e6, delayP99: h.percentile(99) / 1e6, busyMax: this.busyMax } : { delayMax: 0, delayP99: 0, busyMax: this.busyMax };
  }

  private roll(): void {
    this.windows.push(this.current());
    if (this.windows.length > WINDOWS) this.windows.shift();
    this.loop.reset();
    this.busyMax = 0;
  }
}
