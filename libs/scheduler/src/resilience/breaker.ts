import type { BreakerSnapshot, BreakerState, BreakerTransition } from '@shoal/protocol';
import { formatMs } from './retry.js';

/**
 * Breaker lifecycle. `closed`: placements flow; `open`: none until the cool-down ends;
 * `half-open`: a few trial placements decide between `closed` (they succeed) and `open` (one fails).
 * The state and snapshot types are declared in the protocol (they are on the wire in `GET /breakers`).
 */
export type { BreakerSnapshot, BreakerState, BreakerTransition } from '@shoal/protocol';

/** Options of a circuit breaker. */
export interface BreakerOptions {
  now: () => number;
  /** Failures within `windowMs` that open the breaker. Default 5. */
  failureThreshold?: number;
  /** Default 60 s. */
  windowMs?: number;
  /** How long an open breaker stays open. Default 30 s. */
  coolDownMs?: number;
  /** Trial placements admitted while half-open. Default 1. */
  halfOpenTrials?: number;
}

/** One circuit breaker: pure bookkeeping over an injected clock, no timers. */
export class CircuitBreaker {
  private failures: number[] = [];
  private current: BreakerState = 'closed';
  private openedAt = 0;
  private openReason = '';
  private trialsPlaced = 0;
  private lastTrialAt = 0;
  private trialSuccesses = 0;
  private readonly threshold: number;
  private readonly windowMs: number;
  private readonly coolDownMs: number;
  private readonly trials: number;

  constructor(
    private readonly name: string,
    private readonly opts: BreakerOptions,
  ) {
    this.threshold = opts.failureThreshold ?? 5;
    this.windowMs = opts.windowMs ?? 60_000;
    this.coolDownMs = opts.coolDownMs ?? 30_000;
    this.trials = opts.halfOpenTrials ?? 1;
  }

  /** The state now (an open breaker whose cool-down ended reads as half-open). */
  state(): BreakerState {
    if (this.current === 'open' && this.opts.now() >= this.openedAt + this.coolDownMs) {
      this.current = 'half-open';
      this.trialsPlaced = 0;
      this.trialSuccesses = 0;
    }
    return this.current;
  }

  /** Records a failed task; returns the transition when the breaker opens. */
  recordFailure(): BreakerTransition | undefined {
    const now = this.opts.now();
    const from = this.state();
    if (from === 'open') return undefined;
    if (from === 'half-open') return this.open(from, now, 'a trial placement failed');
    this.failures.push(now);
    this.prune(now);
    if (this.failures.length >= this.threshold) {
      return this.open(from, now, `${this.failures.length} failures in ${formatMs(this.windowMs)}`);
    }
    return undefined;
  }

  /** Records a successful task; returns the transition when a half-open breaker closes. */
  recordSuccess(): BreakerTransition | undefined {
    if (this.state() !== 'half-open') return undefined;
    if (++this.trialSuccesses < this.trials) return undefined;
    this.current = 'closed';
    this.failures = [];
    return { from: 'half-open', to: 'closed', reason: `${this.trials} trial placement(s) succeeded` };
  }

  /**
   * New placements admitted now: unlimited when closed, none when open, the unused trials when
   * half-open (a trial that never reports back is forgiven after one cool-down).
   */
  allowance(): number {
    const s = this.state();
    if (s === 'closed') return Infinity;
    if (s === 'open') return 0;
    if (this.trialsPlaced >= this.trials && this.opts.now() >= this.lastTrialAt + this.coolDownMs) this.trialsPlaced = this.trialSuccesses;
    return Math.max(0, this.trials - this.trialsPlaced);
  }

  /** Records a placement (uses up a trial while half-open). */
  notePlaced(): void {
    if (this.state() !== 'half-open') return;
    this.trialsPlaced++;
    this.lastTrialAt = this.opts.now();
  }

  /** Why the breaker holds placements back. */
  describe(): string {
    const s = this.state();
    if (s === 'open') {
      const left = this.openedAt + this.coolDownMs - this.opts.now();
      return `circuit open for ${this.name} (${this.openReason}); half-open in ${formatMs(left)}`;
    }
    if (s === 'half-open') return `circuit half-open for ${this.name}: waiting for the trial placement to finish`;
    return `circuit closed for ${this.name}`;
  }

  snapshot(): BreakerSnapshot {
    const state = this.state();
    this.prune(this.opts.now());
    return {
      state,
      failuresInWindow: this.failures.length,
      ...(state === 'closed' ? {} : { openedAt: this.openedAt, halfOpenAt: this.openedAt + this.coolDownMs }),
    };
  }

  private open(from: BreakerState, now: number, reason: string): BreakerTransition {
    this.current = 'open';
    this.openedAt = now;
    this.openReason = reason;
    this.failures = [];
    return { from, to: 'open', reason };
  }

  private prune(now: number): void {
    const since = now - this.windowMs;
    let drop = 0;
    while (drop < this.failures.length && this.failures[drop]! <= since) drop++;
    if (drop) this.failures.splice(0, drop);
  }
}

/**
 * Breakers by key (node id or agent preset), created on first use. Usable as the Placer's
 * `nodeBreakers` / `presetBreakers` gate.
 */
export class BreakerBoard {
  private readonly breakers = new Map<string, CircuitBreaker>();

  /** `kind` names the keys in reasons, e.g. `node` or `agent preset`. */
  constructor(
    private readonly kind: string,
    private readonly opts: BreakerOptions,
  ) {}

  get(key: string): CircuitBreaker {
    let b = this.breakers.get(key);
    if (!b) {
      b = new CircuitBreaker(`${this.kind} ${key}`, this.opts);
      this.breakers.set(key, b);
    }
    return b;
  }

  recordFailure(key: string): BreakerTransition | undefined {
    return this.get(key).recordFailure();
  }

  recordSuccess(key: string): BreakerTransition | undefined {
    return this.breakers.get(key)?.recordSuccess();
  }

  state(key: string): BreakerState {
    return this.breakers.get(key)?.state() ?? 'closed';
  }

  allowance(key: string): number {
    return this.breakers.get(key)?.allowance() ?? Infinity;
  }

  describe(key: string): string {
    return this.get(key).describe();
  }

  notePlaced(key: string): void {
    this.breakers.get(key)?.notePlaced();
  }

  /** Drops a key (e.g. a node that left the fleet). */
  forget(key: string): void {
    this.breakers.delete(key);
  }

  /** Every breaker that is not closed, for status pages and metrics. */
  notClosed(): Record<string, BreakerSnapshot> {
    const out: Record<string, BreakerSnapshot> = {};
    for (const [k, b] of this.breakers) if (b.state() !== 'closed') out[k] = b.snapshot();
    return out;
  }
}
