/** Whether a supervised process tree may run until the next sample. */
export type DutyDecision = 'run' | 'stop';

/**
 * Token bucket that holds a process tree to a CPU fraction with SIGSTOP/SIGCONT: CPU allowance
 * accrues at `cpuPercent`% of wall time; consumption spends it; below zero the tree is stopped
 * until the allowance recovers. Allowance carried over from earlier intervals is capped at
 * `burstMs`, so an idle tree cannot save up a long unthrottled burst. Pure; the
 * caller passes the time.
 */
export class CpuBucket {
  private tokensMs = 0;
  private lastAt: number;
  private fraction: number;

  constructor(
    cpuPercent: number,
    startAt: number,
    private readonly burstMs = 100,
  ) {
    this.fraction = cpuPercent / 100;
    this.lastAt = startAt;
  }

  /** Changes the budget from now on. */
  setCpuPercent(cpuPercent: number): void {
    this.fraction = cpuPercent / 100;
  }

  /** Accounts `usedCpuMs` consumed since the previous step and decides whether the tree may run. */
  step(at: number, usedCpuMs: number): DutyDecision {
    const elapsed = Math.max(0, at - this.lastAt);
    this.lastAt = at;
    this.tokensMs = Math.min(this.burstMs, this.tokensMs) + elapsed * this.fraction - usedCpuMs;
    return this.tokensMs >= 0 ? 'run' : 'stop';
  }

  /** Current allowance (negative while in debt), in CPU milliseconds. */
  get balanceMs(): number {
    return this.tokensMs;
  }
}
