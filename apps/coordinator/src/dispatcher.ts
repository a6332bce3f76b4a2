import { Logger } from '@nestjs/common';
import { PROTOCOL_VERSION, pickTaskSpec, taskKey, type RunView, type ShoalError } from '@shoal/protocol';
import { type CompiledTask, type Effect, type Placer, type RunEngine, backoffDelayMs, findTask } from '@shoal/scheduler';
import type { EventBus } from './event-bus.js';
import { failpoints } from './failpoints.js';
import type { NatsGateway } from './nats.gateway.js';
import type { ActiveRun, RunTable } from './run-table.js';
import type { RunTracer } from './run-tracer.js';

/** Mints an attempt's shared-cache grant (see CacheAccess): undefined without one. */
export type CacheGrant = (runId: string, team: string, timeoutMs: number | undefined) => { url: string; token: string } | undefined;

/** What dispatching needs from the orchestrator and the coordinator's adapters. */
export interface DispatcherDeps {
  table: Pick<RunTable, 'get'>;
  nats: Pick<NatsGateway, 'publishWork'>;
  tracer: Pick<RunTracer, 'dispatch'>;
  bus: Pick<EventBus, 'emit'>;
  placer: Pick<Placer, 'cancelRun'>;
  /** Applies a change to a run through its engine, carries out its effects and stores the run. */
  mutate(runId: string, change: (view: RunView, engine: RunEngine) => Effect[]): Promise<void>;
  /** Queues a task with the placer again. */
  enqueue(run: ActiveRun, spec: CompiledTask): void;
  /** Runs `fn` after `delayMs` (cleared when the coordinator stops). */
  later(delayMs: number, fn: () => Promise<void>): void;
}

/**
 * Sends placed work out, crash-safe: the `dispatched` transition is stored first and the work
 * published after. A crash in between leaves a stored `dispatched` attempt that the orchestrator's
 * resume publishes again; a store that fails publishes nothing and puts the attempt back in the
 * queue after a backoff; work that cannot be published fails its attempt as rejected.
 */
export class Dispatcher {
  private readonly log = new Logger('orchestrator');
  /** Dispatches in a row whose `dispatched` transition could not be stored (0 after one is stored). */
  private unstoredDispatches = 0;
  /** Set by CacheAccess when the shared cache is served; unset in unit tests and without security. */
  cacheGrant?: CacheGrant;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Stores the attempt's `dispatched` transition, then publishes its work (unless it was cancelled or finished meanwhile). */
  async dispatch(run: ActiveRun, taskId: string, attempt: number, nodeId: string): Promise<void> {
    const runId = run.view.id;
    try {
      await this.deps.mutate(runId, (v, e) => e.dispatched(v, taskId, attempt, nodeId));
    } catch (e) {
      if ((e as ShoalError).code === 'E_CONFLICT') {
        // another coordinator wrote this run: it is not this one's to drive any more
        this.log.error(`${runId}: stops being dispatched here: ${(e as Error).message}`);
        this.deps.placer.cancelRun(runId);
        return;
      }
      this.undispatch(run, taskId, attempt, nodeId, (e as Error).message);
      return;
    }
    this.unstoredDispatches = 0;
    await failpoints.hit('after-dispatch-persist');
    if (this.deps.table.get(runId) !== run) return;
    const t = findTask(run.view, taskId);
    if (t?.attempt !== attempt || t.state !== 'dispatched') return; // cancelled (or finished) meanwhile
    await this.publish(run, taskId, attempt, nodeId);
  }

  /**
   * The `dispatched` transition was not stored: the attempt is queued again, same number, nothing
   * published. It goes back to the placer after a backoff that grows with the failures in a row
   * (0.5 s up to 10 s), so a store outage is not a busy loop of doomed writes.
   */
  private undispatch(run: ActiveRun, taskId: string, attempt: number, nodeId: string, why: string): void {
    const t = findTask(run.view, taskId);
    if (this.deps.table.get(run.view.id) !== run || t?.attempt !== attempt || t.state !== 'dispatched' || t.nodeId !== nodeId) return;
    const delayMs = backoffDelayMs(++this.unstoredDispatches, taskKey(run.view.id, taskId), { initialDelayMs: 500, maxDelayMs: 10_000 });
    const reason = `dispatch to ${nodeId} not stored, queued again in ${(delayMs / 1000).toFixed(1)} s: ${why}`;
    this.log.error(`${run.view.id}/${taskId} attempt ${attempt}: ${reason}`);
    t.state = 'queued';
    t.nodeId = t.dispatchedAt = undefined;
    t.waitingReason = reason;
    this.deps.bus.emit({ type: 'task', runId: run.view.id, taskId, phaseId: t.phaseId, state: 'queued', attempt, reason, at: Date.now() });
    this.deps.later(delayMs, async () => {
      const now = findTask(run.view, taskId);
      if (this.deps.table.get(run.view.id) === run && now?.state === 'queued' && now.attempt === attempt) this.deps.enqueue(run, run.plan.tasks.get(taskId)!);
    });
  }

  /** Publishes an attempt's work (again, after a recovery); a failed publish fails the attempt as rejected. */
  async publish(run: ActiveRun, taskId: string, attempt: number, nodeId: string): Promise<void> {
    const spec = run.plan.tasks.get(taskId)!;
    const runId = run.view.id;
    try {
      await this.deps.tracer.dispatch(runId, spec.phaseId, taskId, attempt, nodeId, (ctx) =>
        this.deps.nats.publishWork(
          { v: PROTOCOL_VERSION, kind: 'task.dispatched', runId, taskId, attempt, phaseId: spec.phaseId, nodeId, dispatchedAt: Date.now(), ...pickTaskSpec(spec), ...this.cacheGrantOf(runId, spec) },
          ctx,
        ),
      );
      await failpoints.hit('after-publish');
    } catch (e) {
      this.log.error((e as Error).message);
      await this.deps.mutate(runId, (v, eng) =>
        eng.finished(v, { taskId, attempt, outcome: 'rejected', exitCode: null, reason: `could not publish work: ${(e as Error).message}`, finishedAt: Date.now() }),
      );
    }
  }

  private cacheGrantOf(runId: string, spec: CompiledTask): { cache?: { url: string; token: string } } {
    const cache = this.cacheGrant?.(runId, spec.team, spec.timeoutMs);
    return cache ? { cache } : {};
  }
}
