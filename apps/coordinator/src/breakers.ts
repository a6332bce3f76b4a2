import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TaskOutcome } from '@shoal/protocol';
import { BreakerBoard, type BreakerSnapshot, type BreakerState, type BreakerTransition } from '@shoal/scheduler';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config.js';
import { Metrics } from './metrics.js';

/** A breaker state change, as logged and listed on `GET /breakers`. */
export interface BreakerChange extends BreakerTransition {
  kind: 'node' | 'agent preset';
  key: string;
  at: number;
}

const FAILURES: readonly TaskOutcome[] = ['failed', 'timed-out', 'lost', 'rejected'];
const HISTORY = 100;

/**
 * Circuit breakers per node and per agent preset, fed from task results and read by the placer.
 * Every state change (including open -> half-open when a cool-down ends) is logged and counted.
 */
@Injectable()
export class Breakers {
  private readonly log = new Logger('breakers');
  readonly nodes: BreakerBoard;
  readonly presets: BreakerBoard;
  private readonly seen = new Map<string, BreakerState>();
  private readonly changes: BreakerChange[] = [];

  constructor(
    @Inject(COORDINATOR_CONFIG) config: CoordinatorConfig,
    private readonly metrics: Metrics,
  ) {
    const opts = { now: Date.now, ...config.breaker };
    this.nodes = new BreakerBoard('node', opts);
    this.presets = new BreakerBoard('agent preset', opts);
  }

  /** Records how an attempt ended against its node and its preset; cancellations count for nothing. */
  record(outcome: TaskOutcome, nodeId: string | undefined, preset: string | undefined): void {
    if (outcome === 'cancelled') return;
    const failed = FAILURES.includes(outcome);
    if (nodeId) this.note('node', nodeId, failed ? this.nodes.recordFailure(nodeId) : this.nodes.recordSuccess(nodeId));
    if (preset) this.note('agent preset', preset, failed ? this.presets.recordFailure(preset) : this.presets.recordSuccess(preset));
  }

  /** Notices changes made by time alone (open -> half-open); call it every few seconds. */
  poll(): void {
    for (const [id, state] of [...this.seen]) {
      const [kind, key] = splitId(id);
      const now = (kind === 'node' ? this.nodes : this.presets).state(key);
      if (now !== state) this.note(kind, key, { from: state, to: now, reason: now === 'half-open' ? 'cool-down ended' : 'state changed' });
    }
  }

  /** Breakers that are not closed, and the latest changes. */
  snapshot(): { nodes: Record<string, BreakerSnapshot>; presets: Record<string, BreakerSnapshot>; changes: BreakerChange[] } {
    return { nodes: this.nodes.notClosed(), presets: this.presets.notClosed(), changes: [...this.changes] };
  }

  private note(kind: BreakerChange['kind'], key: string, t: BreakerTransition | undefined): void {
    if (!t) return;
    const id = `${kind}\u0000${key}`;
    if (t.to === 'closed') this.seen.delete(id);
    else this.seen.set(id, t.to);
    this.changes.push({ ...t, kind, key, at: Date.now() });
    if (this.changes.length > HISTORY) this.changes.shift();
    this.metrics.add('breakerTransitions', { kind: kind === 'node' ? 'node' : 'preset', to: t.to });
    const line = `circuit breaker of ${kind} ${key}: ${t.from} -> ${t.to} (${t.reason})`;
    if (t.to === 'open') this.log.warn(line);
    else this.log.log(line);
  }
}

function splitId(id: string): [BreakerChange['kind'], string] {
  const i = id.indexOf('\u0000');
  return [id.slice(0, i) as BreakerChange['kind'], id.slice(i + 1)];
}
