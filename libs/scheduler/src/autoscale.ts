import type { FleetSignal } from '@shoal/protocol';

export type { FleetSignal } from '@shoal/protocol';

/** Scaling policy. */
export interface AutoscaleOptions {
  minNodes?: number; // default 1
  maxNodes?: number; // default 100
  /** Queued work should drain within this time. Default 5 min. */
  targetDrainMs?: number;
  /** Utilisation to aim at when sizing on CPU (middle of the 40-60% band of a band-capped capacity). Default 0.75. */
  targetUtilisation?: number;
  /** Scale up when a task waited this long, or utilisation is above `highUtilisation`. Default 30 s. */
  upWaitMs?: number;
  highUtilisation?: number; // default 0.9
  /** Scale down only below this utilisation with an empty queue, held for `stabiliseMs`. Default 0.5. */
  lowUtilisation?: number;
  stabiliseMs?: number; // default 5 min
  /** No change for this long after scaling up / down. Defaults 2 min / 10 min. */
  upCoolDownMs?: number;
  downCoolDownMs?: number;
  /** Largest step down. Default 1 node. */
  maxStepDown?: number;
}

/** The decision, with every reason behind it. */
export interface ScaleDecision {
  current: number;
  desired: number;
  direction: 'up' | 'down' | 'hold';
  reasons: string[];
  /**
   * Nodes the demand alone asks for (within min/max), before pressure, quiet windows and
   * cool-downs: a `hold` with `need === current` means the fleet matches the demand.
   */
  need: number;
}

/** State an autoscaler keeps between decisions; persist it to survive restarts. */
export interface AutoscaleState {
  lastChangeAt?: number;
  lastDirection?: 'up' | 'down';
  quietSince?: number;
}

/**
 * Desired node count from queue depth, wait time, CPU band utilisation and runtime estimates,
 * with hysteresis (separate up/down thresholds, a stabilisation window before scaling down) and
 * cool-downs. Pure: the clock comes in the signal; acting on the decision is the caller's job.
 */
export class Autoscaler {
  private readonly o: Required<AutoscaleOptions>;
  private st: AutoscaleState;

  constructor(opts: AutoscaleOptions = {}, state: AutoscaleState = {}) {
    this.o = {
      minNodes: 1,
      maxNodes: 100,
      targetDrainMs: 5 * 60_000,
      targetUtilisation: 0.75,
      upWaitMs: 30_000,
      highUtilisation: 0.9,
      lowUtilisation: 0.5,
      stabiliseMs: 5 * 60_000,
      upCoolDownMs: 2 * 60_000,
      downCoolDownMs: 10 * 60_000,
      maxStepDown: 1,
      ...opts,
    };
    this.st = { ...state };
  }

  /** The state to persist. */
  state(): AutoscaleState {
    return { ...this.st };
  }

  decide(s: FleetSignal): ScaleDecision {
    const o = this.o;
    const reasons: string[] = [];
    const slots = Math.max(1, s.slotsPerNode);
    const queueSlots = s.queueDepth > 0 ? Math.ceil((s.queueDepth * s.expectedTaskMs) / o.targetDrainMs) : 0;
    const byQueue = Math.ceil((s.running + queueSlots) / slots);
    const byCpu = Math.ceil((s.nodes * s.cpuUtilisation) / o.targetUtilisation);
    // Queued work that waited past upWaitMs was not taken by the nodes there are, whatever their free
    // slots say (CPU, memory, anti-affinity or the CPU band held it back): it needs room beyond them.
    const stuck = s.oldestWaitMs >= o.upWaitMs ? Math.min(s.queueDepth, s.waitingForRoom ?? s.queueDepth) : 0;
    const byStuck = stuck > 0 ? s.nodes + Math.ceil(Math.max(1, Math.ceil((stuck * s.expectedTaskMs) / o.targetDrainMs)) / slots) : 0;
    let need = Math.max(byQueue, byCpu, byStuck);
    reasons.push(
      `demand: ${s.running} running + ${s.queueDepth} queued x ${Math.round(s.expectedTaskMs / 1000)} s to drain in ${Math.round(o.targetDrainMs / 1000)} s -> ${byQueue} node(s); ` +
        `CPU ${Math.round(s.cpuUtilisation * 100)}% of ${s.nodes} node(s) at target ${Math.round(o.targetUtilisation * 100)}% -> ${byCpu} node(s)` +
        (stuck > 0 ? `; ${stuck} queued task(s) no node took for ${Math.round(s.oldestWaitMs / 1000)} s need room beyond the ${s.nodes} node(s) -> ${byStuck} node(s)` : ''),
    );
    need = clamp(need, o.minNodes, o.maxNodes);
    const hold = (why: string): ScaleDecision => ({ current: s.nodes, desired: s.nodes, direction: 'hold', reasons: [...reasons, why], need });

    const pressured = s.oldestWaitMs >= o.upWaitMs || s.cpuUtilisation >= o.highUtilisation;
    const quiet = s.queueDepth === 0 && s.cpuUtilisation <= o.lowUtilisation;
    if (!quiet) delete this.st.quietSince;
    else this.st.quietSince ??= s.now;

    if (s.nodes < o.minNodes) return this.change(s, o.minNodes, 'up', [...reasons, `below the minimum of ${o.minNodes} node(s)`], need);
    if (s.nodes > o.maxNodes) return this.change(s, o.maxNodes, 'down', [...reasons, `above the maximum of ${o.maxNodes} node(s)`], need);

    if (need > s.nodes) {
      if (!pressured) {
        return hold(`would grow to ${need} but no pressure yet (oldest wait ${Math.round(s.oldestWaitMs / 1000)} s < ${Math.round(o.upWaitMs / 1000)} s, CPU < ${Math.round(o.highUtilisation * 100)}%)`);
      }
      const cool = this.coolingDown(s.now, 'up');
      if (cool) return hold(cool);
      const why = s.oldestWaitMs >= o.upWaitMs ? `oldest task waited ${Math.round(s.oldestWaitMs / 1000)} s` : `CPU at ${Math.round(s.cpuUtilisation * 100)}%`;
      return this.change(s, need, 'up', [...reasons, `scale up: ${why}`], need);
    }
    if (need < s.nodes) {
      if (!quiet) return hold(`would shrink to ${need} but the queue is not empty or CPU is above ${Math.round(o.lowUtilisation * 100)}%`);
      const quietFor = s.now - this.st.quietSince!;
      if (quietFor < o.stabiliseMs) return hold(`quiet for ${Math.round(quietFor / 1000)} s of the ${Math.round(o.stabiliseMs / 1000)} s needed before scaling down`);
      const cool = this.coolingDown(s.now, 'down');
      if (cool) return hold(cool);
      const target = Math.max(need, s.nodes - o.maxStepDown);
      return this.change(s, target, 'down', [...reasons, `scale down by ${s.nodes - target}: quiet for ${Math.round(quietFor / 1000)} s`], need);
    }
    return hold('fleet size matches demand');
  }

  private coolingDown(now: number, direction: 'up' | 'down'): string | undefined {
    if (this.st.lastChangeAt === undefined) return undefined;
    const wait = direction === 'up' ? this.o.upCoolDownMs : this.o.downCoolDownMs;
    const left = this.st.lastChangeAt + wait - now;
    return left > 0 ? `cooling down after scaling ${this.st.lastDirection}: ${Math.ceil(left / 1000)} s left` : undefined;
  }

  private change(s: FleetSignal, desired: number, direction: 'up' | 'down', reasons: string[], need: number): ScaleDecision {
    this.st.lastChangeAt = s.now;
    this.st.lastDirection = direction;
    if (direction === 'down') delete this.st.quietSince;
    return { current: s.nodes, desired, direction, reasons, need };
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
