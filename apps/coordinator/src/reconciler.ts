import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Heartbeat, PROTOCOL_VERSION, TERMINAL_TASK, type TaskFinished } from '@shoal/protocol';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config.js';
import { Metrics } from './metrics.js';
import { NatsGateway } from './nats.gateway.js';
import { Orchestrator } from './orchestrator.js';
import { RunTable } from './run-table.js';

/** Heartbeats in a row that must omit a running attempt before the coordinator calls it lost. */
export const MISSES_BEFORE_LOST = 4;

/**
 * Keeps the coordinator's view and what nodes report running in step (invariant I4):
 * an attempt a node runs that the coordinator no longer wants is stopped there, and an attempt
 * the coordinator believes running that its node stopped reporting is declared lost (and retried).
 */
@Injectable()
export class Reconciler {
  private readonly log = new Logger('reconciler');
  private readonly misses = new Map<string, number>();
  private readonly stopping = new Set<string>();
  private readonly checking = new Set<string>();

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly table: RunTable,
    private readonly orchestrator: Orchestrator,
    private readonly nats: NatsGateway,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Compares one heartbeat with the run table. A missing attempt is counted only when the
   * coordinator may judge (`judgeFrom`, see LivenessGate) for a full node TTL already, and only
   * when the node has no report waiting in its outbox: after an outage, results the node kept
   * arrive before anything it no longer runs is called lost. Only the attempts placed on that
   * node are looked at ({@link RunTable.placedOn}).
   */
  onHeartbeat(hb: Heartbeat, now: number, judgeFrom: number | undefined): void {
    const reported = new Set(hb.running.map((r) => `${r.runId}/${r.taskId}#${r.attempt}`));
    for (const r of hb.running) this.stopIfUnwanted(hb.nodeId, r.runId, r.taskId, r.attempt);
    const settled = judgeFrom !== undefined && now - judgeFrom >= this.config.nodeTtlMs && !hb.outboxDepth;
    if (!settled) return;
    for (const { run, task: t } of this.table.placedOn(hb.nodeId)) {
      if (t.nodeId !== hb.nodeId || t.state !== 'running') continue;
      const key = `${run.view.id}/${t.id}#${t.attempt}`;
      if (reported.has(key) || (t.startedAt !== undefined && hb.sentAt < t.startedAt)) {
        this.misses.delete(key);
        continue;
      }
      const n = (this.misses.get(key) ?? 0) + 1;
      this.misses.set(key, n);
      if (n < MISSES_BEFORE_LOST || this.checking.has(key)) continue;
      this.checking.add(key);
      void this.declareLost(run.view.id, t.id, t.attempt, hb.nodeId, n, now).finally(() => this.checking.delete(key));
    }
  }

  /**
   * Declares a missing attempt lost, unless status reports are still on their way: the node may
   * have handed its result to JetStream already (so it left its outbox and its heartbeat) while
   * this coordinator has not applied it yet. With a backlog on the status consumer, or when the
   * backlog cannot be read, the attempt is looked at again on later heartbeats. Before calling it
   * lost, the node is asked for the attempt's end: a report JetStream acknowledged but this
   * coordinator never applied (an ack is not proof of durability, see docs/reliability.md) is
   * recovered from the node and applied instead.
   */
  private async declareLost(runId: string, taskId: string, attempt: number, nodeId: string, misses: number, now: number): Promise<void> {
    const key = `${runId}/${taskId}#${attempt}`;
    const backlog = await this.nats.statusBacklog().catch((e: Error) => {
      this.log.warn(`${key}: not declared lost yet, the status backlog is unreadable: ${e.message}`);
      return undefined;
    });
    if (backlog !== 0) {
      if (backlog !== undefined) this.log.log(`${key}: not declared lost yet, ${backlog} status report(s) still to apply`);
      this.misses.set(key, MISSES_BEFORE_LOST - 1);
      return;
    }
    if (!this.stillRunning(runId, taskId, attempt, nodeId)) return;
    const end = await this.askForEnd(runId, taskId, attempt, nodeId);
    if (!this.stillRunning(runId, taskId, attempt, nodeId)) return;
    this.misses.delete(key);
    if (end) {
      this.metrics.add('reconciled', { action: 'recovered' });
      this.log.warn(`${key}: its end (${end.outcome}) never reached this coordinator although node ${nodeId} delivered it; recovered from the node`);
      await this.orchestrator.onStatus(end);
      return;
    }
    this.metrics.add('reconciled', { action: 'lost' });
    this.log.warn(`${key}: node ${nodeId} stopped reporting it for ${misses} heartbeats; declaring it lost`);
    await this.orchestrator.mutate(runId, (v, e) =>
      e.finished(v, { taskId, attempt, outcome: 'lost', exitCode: null, reason: `node ${nodeId} no longer reports it running`, finishedAt: now }),
    );
  }

  private stillRunning(runId: string, taskId: string, attempt: number, nodeId: string): boolean {
    const t = this.table.task(runId, taskId);
    return !!t && t.attempt === attempt && t.state === 'running' && t.nodeId === nodeId;
  }

  /** The attempt's end as its node delivered it, when the node answers with one (an old node-agent does not). */
  private async askForEnd(runId: string, taskId: string, attempt: number, nodeId: string): Promise<TaskFinished | undefined> {
    const reply = await this.nats.control(nodeId, { v: PROTOCOL_VERSION, action: 'result', runId, taskId, attempt }).catch(() => undefined);
    const end = reply?.ok ? reply.result : undefined;
    return end && end.runId === runId && end.taskId === taskId && end.attempt === attempt && end.nodeId === nodeId ? end : undefined;
  }

  private stopIfUnwanted(nodeId: string, runId: string, taskId: string, attempt: number): void {
    const t = this.table.task(runId, taskId);
    const wanted = t && t.attempt === attempt && !TERMINAL_TASK.includes(t.state) && t.nodeId === nodeId;
    const key = `${nodeId}/${runId}/${taskId}#${attempt}`;
    if (wanted || !t || this.stopping.has(key)) return;
    if (t.lostAttempts?.some((l) => l.attempt === attempt && l.nodeId === nodeId) && (t.state === 'queued' || t.state === 'retry-wait')) {
      this.metrics.add('reconciled', { action: 'reclaim' });
      this.log.log(`${runId}/${taskId}#${attempt} still runs on ${nodeId}, which is back: it stays (its replacement had not started)`);
      void this.orchestrator.reclaim(runId, taskId, attempt, nodeId);
      return;
    }
    this.stopping.add(key);
    this.metrics.add('reconciled', { action: 'stop' });
    this.log.warn(`${runId}/${taskId}#${attempt} runs on ${nodeId} but the coordinator does not want it (${t.state}, attempt ${t.attempt}); stopping it`);
    this.nats
      .control(nodeId, { v: PROTOCOL_VERSION, action: 'cancel', runId, taskId, attempt, reason: 'stale attempt (reconciliation)' })
      .catch((e: Error) => this.log.warn(`could not stop ${key}: ${e.message}`))
      .finally(() => setTimeout(() => this.stopping.delete(key), 30_000).unref());
  }
}
