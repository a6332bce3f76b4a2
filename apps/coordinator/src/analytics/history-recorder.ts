import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { AttemptRecord, PhaseRecord, RunEvent, RunRecord, RunView } from '@shoal/protocol';
import { type CompiledTask, findTask, taskKind } from '@shoal/scheduler';
import { EventBus } from '../event-bus.js';
import { LeadershipService } from '../leadership/leadership.service.js';
import { NodeRegistry } from '../node-registry.js';
import { RunTable } from '../run-table.js';
import { HistoryStore } from './history-store.js';

/** Task states in which an attempt has ended. */
const ATTEMPT_ENDED = new Set(['succeeded', 'failed', 'retry-wait', 'awaiting-operator', 'cancelled']);
const RUN_ENDED = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Writes the history the analytics are computed from: every ended task attempt, every finished
 * phase and run (from the run events), and one utilisation sample per live node every
 * `SHOAL_HISTORY_SAMPLE_MS` (from its latest heartbeat). Only the leader records; nothing here
 * can fail or slow the run path (see {@link HistoryStore.append}).
 */
@Injectable()
export class HistoryRecorder implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('history');
  private unsubscribe?: () => void;
  private sampler?: NodeJS.Timeout;
  /** Attempts already recorded, per run (an attempt can end twice: awaiting-operator, then failed by the operator). */
  private readonly recorded = new Map<string, Set<string>>();

  constructor(
    private readonly bus: EventBus,
    private readonly table: RunTable,
    private readonly nodes: NodeRegistry,
    private readonly leadership: LeadershipService,
    private readonly store: HistoryStore,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.onAny((e) => {
      try {
        if (this.leadership.active) this.observe(e);
      } catch (err) {
        this.log.warn(`history record of a ${e.type} event of run ${e.runId} skipped: ${(err as Error).message}`);
      }
    });
    this.sampler = setInterval(() => this.sampleNodes(Date.now()), this.store.settings.sampleMs);
    this.sampler.unref();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    clearInterval(this.sampler);
  }

  /** Turns a run event into a history record when it ends something. */
  observe(e: RunEvent): void {
    const run = this.table.get(e.runId);
    if (!run) return;
    const record = e.type === 'task' ? this.attempt(run.view, run.plan.tasks.get(e.taskId), e) : e.type === 'phase' ? phaseRecord(run.view, e) : e.type === 'run' ? this.runRecord(run.view, e) : undefined;
    if (record) this.store.append(record);
  }

  /** One sample per live node from its latest heartbeat. */
  sampleNodes(now: number): void {
    if (!this.leadership.active) return;
    for (const n of this.nodes.list()) {
      if (n.state !== 'alive') continue;
      const { host, running } = n.heartbeat;
      this.store.append({ type: 'node', nodeId: n.id, at: now, cpuPercent: host.cpuPercent, memUsedMb: host.memUsedMb, memTotalMb: host.memTotalMb, running: running?.length ?? 0 });
    }
  }

  private attempt(view: RunView, spec: CompiledTask | undefined, e: Extract<RunEvent, { type: 'task' }>): AttemptRecord | undefined {
    if (!spec || !ATTEMPT_ENDED.has(e.state)) return undefined;
    const t = findTask(view, e.taskId);
    if (!t || t.attempt !== e.attempt) return undefined;
    const cacheHit = e.state === 'succeeded' && t.dispatchedAt === undefined && t.startedAt === undefined;
    // an attempt cancelled before it was dispatched never ran: nothing to record
    if (e.state === 'cancelled' && t.dispatchedAt === undefined && t.startedAt === undefined) return undefined;
    if (!cacheHit && e.state !== 'cancelled' && t.outcome === undefined) return undefined;
    let seen = this.recorded.get(view.id);
    if (!seen) this.recorded.set(view.id, (seen = new Set()));
    const key = `${t.id}#${t.attempt}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    return {
      type: 'attempt',
      runId: view.id,
      plan: view.plan,
      phaseId: t.phaseId,
      taskId: t.id,
      kind: taskKind(spec),
      attempt: t.attempt,
      ...(t.nodeId ? { nodeId: t.nodeId } : {}),
      ...(t.queuedAt !== undefined ? { queuedAt: t.queuedAt } : {}),
      ...(t.startedAt !== undefined ? { startedAt: t.startedAt } : {}),
      finishedAt: e.state === 'cancelled' ? e.at : (t.finishedAt ?? e.at),
      outcome: e.state === 'cancelled' ? 'cancelled' : t.outcome!,
      ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
      ...(spec.cache ? { cache: cacheHit ? ('hit' as const) : ('miss' as const) } : {}),
    };
  }

  private runRecord(view: RunView, e: Extract<RunEvent, { type: 'run' }>): RunRecord | undefined {
    if (!RUN_ENDED.has(e.state)) return undefined;
    this.recorded.delete(view.id);
    return {
      type: 'run',
      runId: view.id,
      plan: view.plan,
      state: e.state as RunRecord['state'],
      submittedAt: view.submittedAt,
      ...(view.startedAt !== undefined ? { startedAt: view.startedAt } : {}),
      finishedAt: view.finishedAt ?? e.at,
      tasks: view.tasks.length,
      ...(view.traceId ? { traceId: view.traceId } : {}),
    };
  }
}

function phaseRecord(view: RunView, e: Extract<RunEvent, { type: 'phase' }>): PhaseRecord | undefined {
  if (!RUN_ENDED.has(e.state)) return undefined;
  const p = view.phases.find((x) => x.id === e.phaseId);
  if (p?.startedAt === undefined) return undefined;
  return { type: 'phase', runId: view.id, plan: view.plan, phaseId: p.id, state: e.state as PhaseRecord['state'], startedAt: p.startedAt, finishedAt: p.finishedAt ?? e.at };
}
