import type { ScaleRequest } from './actuator.js';

/** Bounds and cool-down of an {@link ActuationPolicy}. */
export interface ActuationPolicyOptions {
  minReplicas: number;
  maxReplicas: number;
  /** After an applied change, no other change for this long. */
  coolDownMs: number;
}

/** The part of a scaling decision the policy reads. */
export interface DecisionInput {
  direction: 'up' | 'down' | 'hold';
  desired: number;
  current: number;
  /** Nodes the demand alone asks for (the autoscaler's `need`); a hold with need === current matches the demand. */
  need?: number;
}

/**
 * When and to what size an actuator acts, from the stream of scaling decisions. `up` and `down`
 * decisions set the target. A `hold` does not (it reports the live node count, which lags behind
 * nodes still starting, so acting on it would undo a scale-up) except to lower a target above the
 * live nodes when the fleet matches the demand (`need === current`): the work that asked for more
 * nodes is gone, so nodes that never came (a pod still pending) are not wanted any more. The target
 * stays within the bounds and never below the nodes that run work; a failed attempt is retried with
 * the next decision; after an applied change nothing changes for the cool-down. Pure: the clock comes in.
 */
export class ActuationPolicy {
  private target?: number;
  private direction: 'up' | 'down' = 'up';
  private applied?: number;
  private failed = false;
  private coolUntil?: number;

  constructor(private readonly o: ActuationPolicyOptions) {}

  /** Takes a decision; answers the request to carry out now, or undefined when there is nothing to do yet. */
  next(d: DecisionInput, busyNodes: number, now: number): ScaleRequest | undefined {
    if (d.direction !== 'hold') {
      this.target = clamp(Math.max(d.desired, busyNodes), this.o.minReplicas, this.o.maxReplicas);
      this.direction = d.direction;
    } else if (this.target !== undefined && d.need === d.current && this.target > d.current) {
      this.target = clamp(Math.max(d.current, busyNodes), this.o.minReplicas, this.o.maxReplicas);
      this.direction = 'down';
    }
    if (this.target === undefined) return undefined;
    if (this.target === this.applied && !this.failed) return undefined;
    if (this.coolUntil !== undefined && now < this.coolUntil) return undefined;
    return { target: this.target, current: d.current, direction: this.direction };
  }

  /**
   * Without an actuator: only follows the target (seeded from the first decision, never a
   * cool-down), for KEDA or an operator to read (`GET /scaling` actuator.target, shoal_scale_target).
   */
  advise(d: DecisionInput, busyNodes: number): number {
    this.target ??= clamp(Math.max(d.desired, busyNodes), this.o.minReplicas, this.o.maxReplicas);
    const req = this.next(d, busyNodes, 0);
    if (req) this.done(req, 'unchanged', 0);
    return this.target;
  }

  /** Records how a request ended (`applied` starts the cool-down; `failed` is retried on the next decision). */
  done(req: ScaleRequest, outcome: 'applied' | 'unchanged' | 'failed', now: number): void {
    if (outcome === 'failed') {
      this.failed = true;
      return;
    }
    this.failed = false;
    this.applied = req.target;
    if (outcome === 'applied') this.coolUntil = now + this.o.coolDownMs;
  }

  /** The size being worked towards, if a decision set one. */
  wanted(): number | undefined {
    return this.target;
  }

  /** End of the cool-down after the latest applied change, if one is running at `now`. */
  coolDownUntil(now: number): number | undefined {
    return this.coolUntil !== undefined && this.coolUntil > now ? this.coolUntil : undefined;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
