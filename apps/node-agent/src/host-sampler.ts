import { type CpuInfo, cpus, loadavg } from 'node:os';
import si from 'systeminformation';

/** Host figures for heartbeats. */
export interface HostSample {
  cpuPercent: number;
  memUsedMb: number;
  memTotalMb: number;
  load1: number;
  cores: number;
}

/** Busy and total CPU time over all cores, in ms. */
interface CpuTimes {
  busy: number;
  total: number;
}

/**
 * Samples host CPU and memory on its own interval, so a heartbeat just reads the latest sample.
 * CPU % is the busy share of all cores between two samples, from the kernel's counters
 * (`os.cpus()`): systeminformation's `currentLoad()` spawns a process on every call, which
 * alone cost an idle node-agent ~0.5% of a core at a 2.5 s pulse. Memory comes from
 * systeminformation (`/proc/meminfo` on Linux, no process).
 */
export class HostSampler {
  private last: HostSample = { cpuPercent: 0, memUsedMb: 0, memTotalMb: 0, load1: 0, cores: cpus().length };
  private prev?: CpuTimes;
  private timer?: NodeJS.Timeout;

  constructor(private readonly readCpus: () => CpuInfo[] = cpus) {}

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

  /** Busy percentage of all cores since the previous call (0 on the first). */
  cpuPercent(): number {
    const info = this.readCpus();
    const now = info.reduce<CpuTimes>(
      (acc, c) => {
        const { user, nice, sys, irq, idle } = c.times;
        const busy = user + nice + sys + irq;
        return { busy: acc.busy + busy, total: acc.total + busy + idle };
      },
      { busy: 0, total: 0 },
    );
    const prev = this.prev;
    this.prev = now;
    if (!prev || now.total <= prev.total) return 0;
    return clamp(((now.busy - prev.busy) / (now.total - prev.total)) * 100);
  }

  private async sample(): Promise<void> {
    try {
      const mem = await si.mem();
      this.last = {
        cpuPercent: this.cpuPercent(),
        memUsedMb: Math.round(mem.active / 1048576),
        memTotalMb: Math.round(mem.total / 1048576),
        load1: Math.max(0, loadavg()[0] ?? 0),
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
