import { hardMemoryMb } from '../restart/restart-policy.js';
import type { TaskAttempt } from '../task-attempt.js';

/** CPU (% of one core) and resident memory (MB) of one attempt at the last pulse. */
export interface AttemptUsageSample {
  cpuPercent: number;
  rssMb: number;
}

/**
 * Per-attempt usage read once per pulse (for heartbeats), and the one-time notice when a task with
 * `on_memory_exceeded: notify` goes over its budget.
 */
export class AttemptUsage {
  private readonly latest = new Map<string, AttemptUsageSample>();
  private readonly notified = new Set<string>();

  /** `notify(attempt, text)` tells the operator (log and task output) once per attempt. */
  constructor(private readonly notify: (attempt: TaskAttempt, text: string) => void) {}

  /** Latest sample of an attempt (by its `run/task` key). */
  of(key: string): AttemptUsageSample | undefined {
    return this.latest.get(key);
  }

  /** Reads every running attempt's usage once. */
  async refresh(attempts: TaskAttempt[]): Promise<void> {
    await Promise.all(
      attempts.map(async (a) => {
        if (a.state !== 'running') return;
        const u = await a.governed.usage().catch(() => undefined);
        if (!u) return;
        this.latest.set(a.key, { cpuPercent: Math.round(u.cpuPercent * 10) / 10, rssMb: Math.round(u.rssMb) });
        if (a.task.onMemoryExceeded === 'notify' && u.rssMb > a.task.memoryMb && !this.notified.has(a.key)) {
          this.notified.add(a.key);
          this.notify(a, `memory limit exceeded: ${Math.round(u.rssMb)} MB over the ${a.task.memoryMb} MB budget (notify: keeps running up to ${hardMemoryMb(a.task.memoryMb, 'notify')} MB)`);
        }
      }),
    );
  }

  /** Forgets an attempt that ended. */
  forget(key: string): void {
    this.latest.delete(key);
    this.notified.delete(key);
  }

  clear(): void {
    this.latest.clear();
    this.notified.clear();
  }
}
