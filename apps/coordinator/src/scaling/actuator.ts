import type { ScaleAction } from '@shoal/protocol';

/** What an actuator is asked to do: set the fleet to `target` nodes. */
export interface ScaleRequest {
  /** The size wanted, already within the actuator's bounds and never below the nodes that run work. */
  target: number;
  /** Live nodes the decision saw. */
  current: number;
  /** Direction of the decision behind the target. */
  direction: 'up' | 'down';
}

/** A carried-out request: the size was changed, or already was what (or beyond what) the decision asked. */
export interface ScaleResult {
  outcome: Exclude<ScaleAction['outcome'], 'failed'>;
  /** The size found before acting, when the actuator can tell. */
  before?: number;
  detail: string;
}

/**
 * Sets the fleet size somewhere outside the coordinator (a Deployment's replicas, an operator's
 * program). `apply` rejects with a ShoalError (TransportError, TimeoutError, ExecutionError, ...)
 * whose message says why; the caller retries on its next decision.
 */
export interface ScaleActuator {
  readonly kind: ScaleAction['actuator'];
  apply(req: ScaleRequest): Promise<ScaleResult>;
}
