import { Injectable, Logger } from '@nestjs/common';
import type { RunView } from '@shoal/protocol';
import type { CompiledPlan, RunEngine } from '@shoal/scheduler';
import { NatsGateway } from './nats.gateway.js';
import type { Committed } from './node-registry.js';

/** A run the coordinator is driving. */
export interface ActiveRun {
  view: RunView;
  engine: RunEngine;
  plan: CompiledPlan;
}

/** The runs in memory, written through to the JetStream KV bucket after every change. */
@Injectable()
export class RunTable {
  private readonly log = new Logger('runs');
  private readonly runs = new Map<string, ActiveRun>();
  private readonly writes = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();

  constructor(private readonly nats: NatsGateway) {}

  add(run: ActiveRun): void {
    this.runs.set(run.view.id, run);
  }

  get(runId: string): ActiveRun | undefined {
    return this.runs.get(runId);
  }

  all(): ActiveRun[] {
    return [...this.runs.values()];
  }

  /** Stores the plan text of a run (immutable, read back after a coordinator restart). */
  async savePlan(runId: string, planText: string): Promise<void> {
    await this.nats.putRun(`plan.${runId}`, { text: planText });
  }

  /** Schedules a write of the run's view; concurrent changes coalesce into one write. Resolves once written. */
  persist(runId: string): Promise<void> {
    this.dirty.add(runId);
    const prev = this.writes.get(runId) ?? Promise.resolve();
    const next = prev.then(async () => {
      if (!this.dirty.delete(runId)) return;
      const run = this.runs.get(runId);
      if (!run) return;
      try {
        await this.nats.putRun(`run.${runId}`, run.view);
      } catch (e) {
        this.dirty.add(runId);
        this.log.error(`could not store run ${runId}: ${(e as Error).message}`);
      }
    });
    this.writes.set(runId, next);
    return next;
  }

  /** Sum of the budgets of tasks dispatched or running, per node. */
  committed(): Committed {
    const out: Committed = new Map();
    for (const run of this.runs.values()) {
      for (const t of run.view.tasks) {
        if (!t.nodeId || (t.state !== 'dispatched' && t.state !== 'running')) continue;
        const spec = run.plan.tasks.get(t.id)!;
        const c = out.get(t.nodeId) ?? { cpuPercent: 0, memoryMb: 0, tasks: 0 };
        c.cpuPercent += spec.cpuPercent;
        c.memoryMb += spec.memoryMb;
        c.tasks += 1;
        out.set(t.nodeId, c);
      }
    }
    return out;
  }
}
