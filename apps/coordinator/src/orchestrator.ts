import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ConflictError, PROTOCOL_VERSION, taskKey, type RunView, type TaskDispatched, type TaskFinished, type TaskStatus, TransportError } from '@shoal/protocol';
import { type CompiledTask, type Effect, Placer, type RunEngine, findTask } from '@shoal/scheduler';
import { Breakers } from './breakers.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config.js';
import { Estimates } from './estimates.service.js';
import { EventBus } from './event-bus.js';
import { Dispatcher, type CacheGrant } from './dispatcher.js';
import { placedElsewhere } from './fencing.js';
import { Metrics } from './metrics.js';
import { NatsGateway } from './nats.gateway.js';
import { NodeRegistry } from './node-registry.js';
import { ResultCache } from './result-cache.js';
import { RunTable, type ActiveRun } from './run-table.js';
import { RunTracer } from './run-tracer.js';
import { WaitingReasons } from './waiting-reasons.js';

/** A placement round asked for by a routine heartbeat runs within this (see `kickSoon`). */
export const HEARTBEAT_ROUND_MS = 100;

/**
 * Carries out what the run engine decides: queues tasks with the placer, publishes placed work,
 * feeds node reports back into the engine, and re-places work of lost nodes.
 */
@Injectable()
export class Orchestrator implements OnModuleDestroy {
  private readonly log = new Logger('orchestrator');
  readonly placer: Placer;
  /**
   * Whether this coordinator may dispatch now (set at start to the leadership check): a standby,
   * or a leader that could not renew its lease, runs no placement round.
   */
  mayDispatch: () => boolean = () => true;
  /** The placement round asked for by {@link kick}, not yet run. */
  private pendingRound?: NodeJS.Immediate;
  /** Pending round asked for by a routine heartbeat (see {@link kickSoon}). */
  private soonTimer?: NodeJS.Timeout;
  /** Why queued tasks wait, written into their views now and then. */
  private readonly reasons: WaitingReasons;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Stores each placed attempt's `dispatched` transition, then publishes its work. */
  private readonly dispatcher: Dispatcher;

  constructor(
    @Inject(COORDINATOR_CONFIG) config: CoordinatorConfig,
    private readonly table: RunTable,
    private readonly nats: NatsGateway,
    private readonly nodes: NodeRegistry,
    private readonly bus: EventBus,
    private readonly tracer: RunTracer,
    private readonly breakers: Breakers,
    private readonly estimates: Estimates,
    private readonly cache: ResultCache,
    private readonly metrics: Metrics,
  ) {
    this.placer = new Placer({
      now: Date.now,
      hostCpuHighPercent: config.hostCpuHighPercent,
      nodeBreakers: breakers.nodes,
      presetBreakers: breakers.presets,
    });
    this.reasons = new WaitingReasons(this.placer, table);
    this.dispatcher = new Dispatcher({
      table,
      nats,
      tracer,
      bus,
      placer: this.placer,
      mutate: (runId, change) => this.mutate(runId, change),
      enqueue: (run, spec) => this.enqueue(run, spec, Date.now()),
      later: (delayMs, fn) => this.later(delayMs, fn),
    });
  }

  /** Mints an attempt's shared-cache grant (set by CacheAccess; unset in unit tests and without security). */
  set cacheGrant(grant: CacheGrant | undefined) {
    this.dispatcher.cacheGrant = grant;
  }

  /**
   * Applies a change to a run through its engine, then carries out the effects and persists. Work
   * the change queued (a phase that became ready, a retry) is placed at once, so its `dispatched`
   * transitions join the write this change is in rather than wait for the one after it (a write
   * already queued for the run may start before a round asked for with {@link kick} runs).
   */
  mutate(runId: string, change: (view: RunView, engine: RunEngine) => Effect[]): Promise<void> {
    const run = this.table.get(runId);
    if (!run) return Promise.resolve();
    const fx = change(run.view, run.engine);
    this.apply(run, fx);
    if (this.pendingRound && fx.some((f) => f.kind === 'enqueue')) {
      this.table.touched(runId);
      this.round();
    }
    return this.table.persist(runId);
  }

  /**
   * Accepts a new run: stores its plan, starts its engine and stores the started run
   * (create-if-absent) before anything of it is queued or announced. When the store fails the
   * run is not in memory and a TransportError says why (503 for POST /runs). A run of that id
   * already stored (a retried keyed submission) is a ConflictError, and the stored run is untouched.
   */
  async accept(run: ActiveRun, planText: string): Promise<void> {
    const runId = run.view.id;
    try {
      await this.table.savePlan(runId, planText);
      const fx = run.engine.start(run.view);
      await this.table.create(run);
      this.apply(run, fx);
    } catch (e) {
      if (e instanceof ConflictError) throw e;
      if (this.table.get(runId) === run) this.table.remove(runId);
      const reason = `run ${runId} not accepted: the state store did not take it: ${(e as Error).message}`;
      this.tracer.observe({ type: 'run', runId, state: 'failed', reason, at: Date.now() }); // closes its span
      throw new TransportError(reason, { cause: e });
    }
  }

  /**
   * Picks a recovered run up again: the engine re-queues what was queued, and every attempt
   * stored as `dispatched` is published again with the same attempt number. Its work may or may
   * not have left before the crash: `Nats-Msg-Id` dedupes a re-publish within 2 minutes and the
   * node's attempt claim beyond.
   */
  async resume(runId: string): Promise<void> {
    const run = this.table.get(runId);
    if (!run) return;
    // listed first: what the resume queues again is placed (and published) by the dispatcher
    const stored = run.view.tasks.filter((t) => t.state === 'dispatched' && t.nodeId).map((t) => ({ id: t.id, attempt: t.attempt, nodeId: t.nodeId! }));
    await this.mutate(runId, (v, e) => e.resume(v));
    if (this.table.get(runId) !== run) return;
    for (const t of stored) void this.dispatcher.publish(run, t.id, t.attempt, t.nodeId);
  }

  /**
   * JetStream gave up delivering an attempt's work (max deliveries reached): the attempt fails
   * as rejected and retries per the task's policy. A stale attempt is ignored.
   */
  async undeliverable(task: TaskDispatched, deliveries: number): Promise<void> {
    const t = this.table.task(task.runId, task.taskId);
    if (!t || t.attempt !== task.attempt || t.state !== 'dispatched') return;
    this.metrics.add('workUndeliverable');
    await this.mutate(task.runId, (v, e) =>
      e.finished(v, { taskId: task.taskId, attempt: task.attempt, outcome: 'rejected', exitCode: null, reason: `work undeliverable after ${deliveries} deliveries`, finishedAt: Date.now() }),
    );
    this.kick();
  }

  /** Feeds a node's status report into the engine (acked by the caller once persisted). */
  onStatus(s: TaskStatus): Promise<void> {
    // with the run's span active: the log lines of handling it carry the run's trace id and runId
    return this.tracer.inRun(s.runId, () => this.applyStatus(s));
  }

  private async applyStatus(s: TaskStatus): Promise<void> {
    if (!this.table.get(s.runId)) {
      this.log.debug(`status for unknown run ${s.runId} ignored`);
      return;
    }
    if (!this.fromPlacedNode(s)) return;
    if (s.kind === 'task.started') {
      await this.mutate(s.runId, (v, e) => {
        const fx = e.started(v, s.taskId, s.attempt, s.startedAt, s.nodeId);
        const t = findTask(v, s.taskId);
        if (t?.attempt === s.attempt && s.tmuxSocket) t.tmux = { socket: s.tmuxSocket, session: s.session, window: s.window };
        return fx;
      });
    } else {
      const run = this.table.get(s.runId)!;
      const t = findTask(run.view, s.taskId);
      const current = t?.attempt === s.attempt && (t.state === 'dispatched' || t.state === 'running');
      const spec = run.plan.tasks.get(s.taskId);
      if (current && spec?.cache && s.outcome === 'succeeded') await this.cache.store(s.runId, spec, s);
      // the round goes first: the room this frees is placed before the result's write starts, and the
      // dispatch joins that write (see RunTable.persist); the ack still waits for the store
      this.kick();
      const stored = this.mutate(s.runId, (v, e) => e.finished(v, toResult(s)));
      if (current) this.learn(run, s);
      await stored;
    }
  }

  /** A report on another node's attempt (see {@link placedElsewhere}) is counted as malformed and ignored. */
  private fromPlacedNode(s: TaskStatus): boolean {
    const run = this.table.get(s.runId);
    const placed = run && placedElsewhere(run.view, s);
    if (!placed) return true;
    this.metrics.malformed('status-foreign-node');
    this.log.warn(`${s.kind} of ${s.runId}/${s.taskId} attempt ${s.attempt} from node ${s.nodeId} ignored: that attempt runs on node ${placed}`);
    return false;
  }

  /** Feeds an accepted result to the breakers and the runtime estimates. */
  private learn(run: ActiveRun, s: TaskFinished): void {
    const spec = run.plan.tasks.get(s.taskId);
    if (!spec) return;
    this.breakers.record(s.outcome, s.nodeId, presetOf(spec));
    if (s.outcome !== 'succeeded') return;
    this.estimates.observe(spec, s.startedAt, s.finishedAt);
  }

  /** A node stopped heartbeating: its attempts are re-placed or kept, per task (`on_node_lost`). */
  nodeLost(nodeId: string): void {
    for (const run of this.table.all()) {
      for (const t of run.view.tasks) {
        if (t.nodeId === nodeId && (t.state === 'dispatched' || t.state === 'running')) this.breakers.record('lost', nodeId, presetOf(run.plan.tasks.get(t.id)!));
      }
    }
    for (const run of this.table.all()) void this.mutate(run.view.id, (v, e) => e.nodeLost(v, nodeId));
  }

  /** A node that came back still runs an attempt given up with it: it stays if its replacement had not started. */
  reclaim(runId: string, taskId: string, attempt: number, nodeId: string): Promise<void> {
    return this.mutate(runId, (v, e) => e.reclaim(v, taskId, attempt, nodeId));
  }

  /** A lost node heartbeats again: attempts kept for it (`on_node_lost: wait`) are its own again. */
  nodeBack(nodeId: string): void {
    const keptFor = new Set(this.table.placedOn(nodeId).filter((p) => p.task.nodeLostAt !== undefined && p.task.nodeId === nodeId).map((p) => p.run.view.id));
    for (const runId of keptFor) void this.mutate(runId, (v, e) => e.nodeBack(v, nodeId));
  }

  /** Asks for a placement round soon (coalesced). */
  kick(): void {
    if (this.pendingRound || this.placer.depth() === 0) return;
    this.pendingRound = setImmediate(() => this.round());
  }

  /**
   * Asks for a placement round within {@link HEARTBEAT_ROUND_MS} (coalesced): what a routine
   * heartbeat changes (host CPU, capacity) rarely makes room, and a round per heartbeat was a
   * round per 2.5 ms at 1,000 nodes. A new or returning node calls {@link kick} instead.
   */
  kickSoon(): void {
    if (this.pendingRound || this.soonTimer || this.placer.depth() === 0) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.kick();
    }, HEARTBEAT_ROUND_MS);
  }

  onModuleDestroy(): void {
    for (const t of this.timers) clearTimeout(t);
    clearTimeout(this.soonTimer);
    clearImmediate(this.pendingRound);
    this.reasons.stop();
  }

  private apply(run: ActiveRun, fx: Effect[]): void {
    this.tracer.inRun(run.view.id, () => this.applyInRun(run, fx)); // what it starts logs with the run's trace id
  }

  private applyInRun(run: ActiveRun, fx: Effect[]): void {
    const runId = run.view.id;
    const now = Date.now();
    for (const f of fx) {
      switch (f.kind) {
        case 'event':
          this.bus.emit(f.event);
          this.tracer.observe(f.event);
          break;
        case 'enqueue': {
          const spec = run.plan.tasks.get(f.taskId)!;
          if (spec.cache) void this.enqueueUnlessCached(run, spec, f.attempt, now);
          else this.enqueue(run, spec, now);
          break;
        }
        case 'dequeue':
          this.placer.cancel(taskKey(runId, f.taskId));
          break;
        case 'stop':
          this.nats
            .control(f.nodeId, { v: PROTOCOL_VERSION, action: 'cancel', runId, taskId: f.taskId, attempt: f.attempt, reason: f.reason })
            .catch((e: Error) => this.log.warn(`could not stop ${runId}/${f.taskId} on ${f.nodeId}: ${e.message}`));
          break;
        case 'lost-deadline':
          this.later(f.delayMs, () => this.mutate(runId, (v, e) => e.lostDeadline(v, f.taskId, f.attempt)));
          break;
        case 'retry-after':
          this.later(f.delayMs, () => this.mutate(runId, (v, e) => e.retryDue(v, f.taskId, f.attempt)));
          break;
      }
    }
  }

  /** Runs `fn` after `delayMs` (timers are cleared when the module stops). */
  private later(delayMs: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void fn();
    }, delayMs);
    this.timers.add(timer);
  }

  /** Queues a task with the placer: its agent preset for the breakers, its learned run time for ordering. */
  private enqueue(run: ActiveRun, spec: CompiledTask, now: number): void {
    const preset = presetOf(spec);
    const estimateMs = this.estimates.estimateMs(spec);
    this.placer.enqueue({
      key: taskKey(run.view.id, spec.id),
      runId: run.view.id,
      taskId: spec.id,
      team: spec.team,
      role: spec.role,
      cpuPercent: spec.cpuPercent,
      memoryMb: spec.memoryMb,
      priority: spec.priority,
      requires: spec.requires,
      batch: spec.batch,
      enqueuedAt: now,
      ...(preset ? { preset } : {}),
      ...(estimateMs !== undefined ? { estimateMs } : {}),
    });
    this.kick();
  }

  /** A cacheable task: a fresh stored result finishes it without dispatch, else it is queued. */
  private async enqueueUnlessCached(run: ActiveRun, spec: CompiledTask, attempt: number, now: number): Promise<void> {
    const hit = await this.cache.lookup(spec);
    const t = findTask(run.view, spec.id);
    if (this.table.get(run.view.id) !== run || t?.state !== 'queued' || t.attempt !== attempt) return;
    if (hit) {
      this.log.log(`${run.view.id}/${spec.id}: ${hit.reason}`);
      await this.mutate(run.view.id, (v, e) => e.cached(v, spec.id, attempt, hit));
    } else this.enqueue(run, spec, now);
  }

  /** Runs the pending round (a round serves every run: in no run's trace context). */
  private round(): void {
    clearImmediate(this.pendingRound);
    this.pendingRound = undefined;
    context.with(ROOT_CONTEXT, () => this.placeQueued());
  }

  private placeQueued(): void {
    if (!this.mayDispatch()) return;
    const { placed } = this.placer.round(this.nodes.views(this.table.committed()), { waiting: false });
    this.reasons.note();
    for (const p of placed) {
      const [runId, taskId] = p.key.split('/') as [string, string];
      const run = this.table.get(runId);
      const task = run && findTask(run.view, taskId);
      if (!run || !task || task.state !== 'queued') continue;
      void this.dispatcher.dispatch(run, taskId, task.attempt, p.nodeId);
    }
  }
}

/** The agent preset of a task, for its circuit breaker: `agent:`, else the `agent` label it requires. */
export function presetOf(spec: CompiledTask): string | undefined {
  return spec.agent ?? spec.requires.agent;
}

function toResult(s: TaskFinished) {
  return {
    taskId: s.taskId,
    attempt: s.attempt,
    outcome: s.outcome,
    exitCode: s.exitCode,
    reason: s.reason,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    outputTail: s.outputTail,
    nodeId: s.nodeId,
  };
}
