import { Logger } from '@nestjs/common';
import { type ScaleAction, type ScaleActuatorView, isShoalError } from '@shoal/protocol';
import type { ScaleConfig } from '../config.js';
import { ActuationPolicy, type DecisionInput } from './actuation-policy.js';
import type { ScaleActuator, ScaleRequest } from './actuator.js';
import { CommandScaler } from './command-scaler.js';
import { KubernetesScaler } from './kubernetes-scaler.js';

/** Where an actuation counts its attempts (the coordinator's Metrics). */
export interface ActionCounter {
  add(key: 'scaleActions', labels: { actuator: string; outcome: string }): void;
}

/** The actuator the configuration names, or undefined for `none`. */
export function createActuator(c: ScaleConfig): ScaleActuator | undefined {
  if (c.actuator === 'kubernetes') return new KubernetesScaler({ namespace: c.k8sNamespace, deployment: c.k8sDeployment });
  if (c.actuator === 'command') return new CommandScaler(c.command!, c.commandTimeoutMs);
  return undefined;
}

/**
 * Carries scaling decisions out through an actuator under an {@link ActuationPolicy}: one attempt
 * at a time, every attempt logged (a failure with its reason), counted in
 * `shoal_scale_actions_total{actuator,outcome}` and kept as the last action for `GET /scaling`.
 * Never throws: a failure waits for the next decision.
 */
export class ScaleActuation {
  private readonly log = new Logger('scaling');
  private readonly policy: ActuationPolicy;
  private last?: ScaleAction;
  private inFlight?: Promise<void>;
  private failedInARow = 0;
  private lastFailure?: string;

  constructor(
    config: Pick<ScaleConfig, 'minReplicas' | 'maxReplicas' | 'actuatorCoolDownMs'>,
    private readonly actuator: ScaleActuator | undefined,
    private readonly counter: ActionCounter,
    private readonly now: () => number = Date.now,
  ) {
    this.policy = new ActuationPolicy({ minReplicas: config.minReplicas, maxReplicas: config.maxReplicas, coolDownMs: config.actuatorCoolDownMs });
  }

  /**
   * Feeds one decision; starts an attempt when the policy asks for one and none is running.
   * Without an actuator only the target is followed (what KEDA reads, components/keda).
   */
  onDecision(d: DecisionInput, busyNodes: number): void {
    if (!this.actuator) {
      this.policy.advise(d, busyNodes);
      return;
    }
    if (this.inFlight) return;
    const req = this.policy.next(d, busyNodes, this.now());
    if (!req) return;
    this.inFlight = this.attempt(this.actuator, req).finally(() => {
      this.inFlight = undefined;
    });
  }

  /** One attempt: carried out, recorded, logged and counted; never rejects. */
  private async attempt(actuator: ScaleActuator, req: ScaleRequest): Promise<void> {
    try {
      const r = await actuator.apply(req);
      this.failedInARow = 0;
      this.policy.done(req, r.outcome, this.now());
      this.last = { actuator: actuator.kind, at: this.now(), target: req.target, before: r.before, outcome: r.outcome, detail: r.detail };
      this.log.log(`scale ${req.direction} to ${req.target} (${actuator.kind}): ${r.outcome}: ${r.detail}`);
    } catch (e) {
      this.policy.done(req, 'failed', this.now());
      const code = isShoalError(e) ? e.code : undefined;
      const detail = e instanceof Error ? e.message : String(e);
      this.last = { actuator: actuator.kind, at: this.now(), target: req.target, outcome: 'failed', detail, ...(code ? { code } : {}) };
      this.failedInARow++;
      // every failure is counted; the log says each new reason, then every 10th repeat
      if (this.failedInARow === 1 || this.lastFailure !== detail || this.failedInARow % 10 === 0) {
        this.log.warn(`could not scale ${req.direction} to ${req.target} (${actuator.kind}, attempt ${this.failedInARow}; retried on the next decision): ${detail}`);
      }
      this.lastFailure = detail;
    }
    this.counter.add('scaleActions', { actuator: actuator.kind, outcome: this.last.outcome });
  }

  /** The actuator's kind, target, last action and cool-down for `GET /scaling`. */
  view(): ScaleActuatorView {
    const at = this.now();
    const target = this.policy.wanted();
    const coolDownUntil = this.policy.coolDownUntil(at);
    return {
      kind: this.actuator?.kind ?? 'none',
      ...(target !== undefined ? { target } : {}),
      ...(this.last ? { last: this.last } : {}),
      ...(coolDownUntil !== undefined ? { coolDownUntil } : {}),
    };
  }

  /** The size being worked towards (NaN when none: no gauge sample). */
  target(): number {
    return this.policy.wanted() ?? Number.NaN;
  }

  /** Resolves when the running attempt (if any) has ended. */
  settled(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }
}
