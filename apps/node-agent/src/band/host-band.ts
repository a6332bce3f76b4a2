import { type BandConfig, type BandDecision, BandPolicy, type BandState, type BandTask } from './band-policy.js';

/** A running task the band can act on. */
export interface BandTarget extends BandTask {
  setCpu(cpuPercent: number): Promise<void>;
}

/** What heartbeats carry about the band. */
export interface BandSnapshot {
  low: number;
  high: number;
  state: BandState;
  throttled: string[];
}

/** Something the band did to the node: a budget cut or restored, admission closed or reopened. */
export type BandAction = 'throttle' | 'restore' | 'admission-closed' | 'admission-opened';

/** What the band needs from the node-agent. */
export interface HostBandDeps {
  /** Latest host CPU sample, % of the whole host. */
  sample(): number;
  targets(): BandTarget[];
  /** Where decisions are logged (only changes: throttles, restores, admission flips). */
  log(message: string): void;
  now(): number;
}

/**
 * Applies the band policy to the running tasks through their governors: called once per pulse
 * (tick), it throttles (setCpu to the floor) or restores budgets, and answers admission.
 */
export class HostBand {
  readonly policy: BandPolicy;
  /** What the band did since the node-agent started (metrics): budgets cut and restored, admission closed and reopened. */
  readonly actions: Record<BandAction, number> = { throttle: 0, restore: 0, 'admission-closed': 0, 'admission-opened': 0 };
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private lastAdmit = true;

  constructor(
    config: BandConfig,
    private readonly deps: HostBandDeps,
  ) {
    this.policy = new BandPolicy(config, deps.now);
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Samples once, decides, and applies the budget changes. */
  async tick(): Promise<BandDecision | undefined> {
    if (this.ticking) return undefined;
    this.ticking = true;
    try {
      const targets = this.deps.targets();
      const byKey = new Map(targets.map((t) => [t.key, t]));
      const d = this.policy.observe(this.deps.sample(), targets);
      for (const c of [...d.throttle, ...d.restore]) {
        const t = byKey.get(c.key);
        if (!t) continue;
        try {
          await t.setCpu(c.cpuPercent);
          this.actions[d.throttle.includes(c) ? 'throttle' : 'restore'] += 1;
          this.deps.log(`band: ${d.throttle.includes(c) ? 'throttled' : 'restored'} ${c.key} to ${c.cpuPercent}% (${c.reason})`);
        } catch (e) {
          this.deps.log(`band: could not set ${c.key} to ${c.cpuPercent}%: ${(e as Error).message}`);
        }
      }
      if (d.admit !== this.lastAdmit) {
        this.lastAdmit = d.admit;
        this.actions[d.admit ? 'admission-opened' : 'admission-closed'] += 1;
        this.deps.log(d.admit ? `band: host CPU ${d.hostCpu}% back under ${this.policy.config.high}%, admitting agents` : `band: ${this.policy.admission().reason}: not starting new agents`);
      }
      return d;
    } finally {
      this.ticking = false;
    }
  }

  admission(): { admit: boolean; reason?: string } {
    return this.policy.admission();
  }

  snapshot(): BandSnapshot {
    return { low: this.policy.config.low, high: this.policy.config.high, state: this.policy.state, throttled: this.policy.throttledKeys() };
  }
}
