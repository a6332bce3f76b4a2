import { cpus } from 'node:os';
import si from 'systeminformation';

/** Host figures for heartbeats. */
export interface HostSample {
  cpuPercent: number;
  memUsedMb: number;
  memTotalMb: number;
  load1: number;
  cores: number;
}

/**
 * Samples host CPU and memory on its own interval (systeminformation's currentLoad needs time
 * between calls to be meaningful), so a heartbeat just reads the latest sample.
 */
export class HostSampler {
  private last: HostSample = { cpuPercent: 0, memUsedMb: 0, memTotalMb: 0, load1: 0, cores: cpus().length };
  private timer?: NodeJS.Timeout;

  async start(intervalMs: number): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get latest(): HostSample {
    return this.last;
  }

  private async sample(): Promise<void> {
    try {
      const [load, mem] = await Promise.all([si.currentLoad(), si.mem()]);
      this.last = {
        cpuPercent: clamp(load.currentLoad),
        memUsedMb: Math.round(mem.active / 1048576),
        memTotalMb: Math.round(mem.total / 1048576),
        load1: Math.max(0, load.avgLoad ?? 0),
        cores: cpus().length,
      };
    } catch {
      /* keep the previous sample */
    }
  }
}

function clamp(n: number): number {
  return Number.isFinite(n) ? Math.min(100, Math.max(0, Math.round(n * 10) / 10)) : 0;
}
