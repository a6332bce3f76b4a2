/** The host CPU band: admission stops above `high`; sustained load above it throttles; below `low` restores. */
export interface BandConfig {
  /** Lower bound, % of the whole host: throttled budgets are restored below it (default 40). */
  low: number;
  /** Upper bound, % of the whole host: no new agent starts above it (default 60). */
  high: number;
  /** Consecutive samples above `high` before one more task is throttled (default 3). */
  sustainSamples: number;
  /** CPU budget (% of one core) a throttled task is held to (default 10). */
  floorPercent: number;
}

/** Defaults of the band (the seed's 40-60%). */
export const DEFAULT_BAND: BandConfig = { low: 40, high: 60, sustainSamples: 3, floorPercent: 10 };

/** A running task as the band sees it. */
export interface BandTask {
  key: string;
  priority: number;
  /** The task's own CPU budget (% of one core), restored when the host calms down. */
  budgetCpu: number;
  startedAt: number;
}

/** Where the host stands against the band. */
export type BandState = 'ok' | 'above' | 'below';

/** A budget change the policy asks for. */
export interface BudgetChange {
  key: string;
  cpuPercent: number;
  reason: string;
}

/** Outcome of one sample. */
export interface BandDecision {
  at: number;
  hostCpu: number;
  state: BandState;
  admit: boolean;
  throttle: BudgetChange[];
  restore: BudgetChange[];
}

/**
 * Pure decision logic of the host CPU band (no I/O; clock injected). Feed it one host sample at a
 * time with the running tasks; it says whether new agents may start and which budgets to change.
 * Throttling picks the lowest priority first (then the newest); one more task per `sustainSamples`
 * samples above the band, so each step has time to show its effect. Below `low` every throttled
 * task gets its budget back; between the bounds nothing changes (hysteresis).
 */
export class BandPolicy {
  private aboveStreak = 0;
  private last?: BandDecision;
  private readonly throttled = new Map<string, number>();

  constructor(
    readonly config: BandConfig,
    private readonly now: () => number,
  ) {
    if (!(config.low >= 0 && config.low < config.high && config.high <= 100)) throw new RangeError(`band ${config.low}-${config.high}% is not 0 <= low < high <= 100`);
  }

  /** Takes one host CPU sample (% of the whole host) and decides. */
  observe(hostCpu: number, tasks: readonly BandTask[]): BandDecision {
    const live = new Set(tasks.map((t) => t.key));
    for (const key of this.throttled.keys()) if (!live.has(key)) this.throttled.delete(key);
    const state: BandState = hostCpu > this.config.high ? 'above' : hostCpu < this.config.low ? 'below' : 'ok';
    const throttle: BudgetChange[] = [];
    const restore: BudgetChange[] = [];
    if (state === 'above') {
      this.aboveStreak += 1;
      if (this.aboveStreak >= this.config.sustainSamples) {
        const victim = this.pickVictim(tasks);
        if (victim) {
          this.throttled.set(victim.key, victim.budgetCpu);
          throttle.push({ key: victim.key, cpuPercent: this.config.floorPercent, reason: `host CPU ${hostCpu}% above ${this.config.high}% for ${this.aboveStreak} samples; priority ${victim.priority}` });
        }
        this.aboveStreak = 0;
      }
    } else {
      this.aboveStreak = 0;
      if (state === 'below') {
        for (const [key, budget] of this.throttled) restore.push({ key, cpuPercent: budget, reason: `host CPU ${hostCpu}% below ${this.config.low}%` });
        this.throttled.clear();
      }
    }
    this.last = { at: this.now(), hostCpu, state, admit: state !== 'above', throttle, restore };
    return this.last;
  }

  /** Whether a new agent may start now, and why not. */
  admission(): { admit: boolean; reason?: string } {
    if (!this.last || this.last.admit) return { admit: true };
    return { admit: false, reason: `host CPU ${this.last.hostCpu}% is above the band's upper bound ${this.config.high}%` };
  }

  /** Keys of the tasks currently held at the floor. */
  throttledKeys(): string[] {
    return [...this.throttled.keys()];
  }

  get state(): BandState {
    return this.last?.state ?? 'ok';
  }

  private pickVictim(tasks: readonly BandTask[]): BandTask | undefined {
    return tasks
      .filter((t) => !this.throttled.has(t.key) && t.budgetCpu > this.config.floorPercent)
      .sort((a, b) => a.priority - b.priority || b.startedAt - a.startedAt || a.key.localeCompare(b.key))[0];
  }
}
