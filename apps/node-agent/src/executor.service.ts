import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { type ControlRequest, PROTOCOL_VERSION, type TaskDispatched, type TaskStatus, teamSession } from '@shoal/protocol';
import { type HeaderCarrier, extractTraceContext } from '@shoal/runtime';
import { AgentGateway } from './agent.gateway.js';
import { NODE_AGENT_CONFIG, type NodeAgentConfig } from './config.js';
import type { ResourceGovernor } from './governor/index.js';
import { TaskAttempt } from './task-attempt.js';
import type { TmuxDriver } from './tmux/index.js';

/** Reply of a control action. */
export interface ControlResult {
  ok: boolean;
  message: string;
  affected?: number;
}

/**
 * Runs the work this node receives: one TaskAttempt per (run, task), duplicate deliveries
 * of an attempt ignored, results reported durably, and operator control (cancel, stop-all, cleanup).
 */
@Injectable()
export class ExecutorService {
  private readonly log = new Logger('executor');
  private readonly attempts = new Map<string, TaskAttempt>();
  private readonly seen = new Set<string>();
  private readonly tracer = trace.getTracer('shoal-node-agent');
  private tmux!: TmuxDriver;
  private governor!: ResourceGovernor;

  constructor(
    @Inject(NODE_AGENT_CONFIG) private readonly config: NodeAgentConfig,
    private readonly gateway: AgentGateway,
  ) {}

  /** Hands over the I/O adapters chosen at start. */
  attach(tmux: TmuxDriver, governor: ResourceGovernor): void {
    this.tmux = tmux;
    this.governor = governor;
  }

  get governorKind(): ResourceGovernor['kind'] {
    return this.governor.kind;
  }

  running(): TaskAttempt[] {
    return [...this.attempts.values()];
  }

  /** Starts one attempt; acks the work message once the process runs (or could not start). */
  async accept(task: TaskDispatched, msg: JsMsg, headers?: MsgHdrs): Promise<void> {
    const attemptKey = `${task.runId}.${task.taskId}.${task.attempt}`;
    if (this.seen.has(attemptKey)) {
      msg.ack();
      return;
    }
    this.seen.add(attemptKey);
    const previous = this.attempts.get(`${task.runId}/${task.taskId}`);
    if (previous) await previous.stop('cancelled', `superseded by attempt ${task.attempt}`);

    const ctx = extractTraceContext(headers as unknown as HeaderCarrier | undefined);
    const span = this.tracer.startSpan(
      `shoal.task ${task.taskId}`,
      { attributes: { 'shoal.run_id': task.runId, 'shoal.task_id': task.taskId, 'shoal.attempt': task.attempt, 'shoal.node_id': this.config.nodeId, 'shoal.role': task.role } },
      ctx,
    );
    let attempt: TaskAttempt | undefined;
    try {
      const logDir = `${this.config.dataDir}/logs`;
      await mkdir(logDir, { recursive: true });
      const governed = await this.governor.create(groupKey(attemptKey), { cpuPercent: task.cpuPercent, memoryMb: task.memoryMb });
      attempt = new TaskAttempt(task, {
        tmux: this.tmux,
        governed,
        logDir,
        nodeId: this.config.nodeId,
        stopGraceMs: this.config.stopGraceMs,
        span,
        now: Date.now,
        output: (seq, text) =>
          this.gateway.output({ v: PROTOCOL_VERSION, kind: 'task.output', runId: task.runId, taskId: task.taskId, attempt: task.attempt, nodeId: this.config.nodeId, seq, text: text.slice(0, 64 * 1024) }),
      });
      this.attempts.set(attempt.key, attempt);
      await attempt.start();
    } catch (e) {
      if (attempt) this.attempts.delete(attempt.key);
      msg.ack();
      span.end();
      this.log.error(`${attemptKey} could not start: ${(e as Error).message}`);
      await this.report({
        v: PROTOCOL_VERSION,
        kind: 'task.finished',
        runId: task.runId,
        taskId: task.taskId,
        attempt: task.attempt,
        nodeId: this.config.nodeId,
        outcome: 'failed',
        exitCode: null,
        reason: `could not start: ${(e as Error).message}`.slice(0, 2000),
        finishedAt: Date.now(),
        outputTail: '',
      });
      return;
    }
    msg.ack();
    this.log.log(`${attemptKey} started in ${attempt.session}:${task.role} (pid ${attempt.pid})`);
    await this.report({
      v: PROTOCOL_VERSION,
      kind: 'task.started',
      runId: task.runId,
      taskId: task.taskId,
      attempt: task.attempt,
      nodeId: this.config.nodeId,
      startedAt: attempt.startedAt!,
      session: attempt.session,
      window: task.role,
      pid: attempt.pid,
      governor: this.governor.kind,
    });
    void this.finish(attempt);
  }

  /** Operator control addressed to this node. */
  async control(req: ControlRequest): Promise<ControlResult> {
    switch (req.action) {
      case 'ping':
        return { ok: true, message: `node ${this.config.nodeId} alive, ${this.attempts.size} task(s) running` };
      case 'cancel': {
        const a = this.attempts.get(`${req.runId}/${req.taskId}`);
        if (!a || a.task.attempt !== req.attempt) return { ok: true, message: 'not running here', affected: 0 };
        await a.stop('cancelled', req.reason ?? 'cancelled');
        return { ok: true, message: `stopping ${req.runId}/${req.taskId}`, affected: 1 };
      }
      case 'stop-all':
        return this.stopAll('stopped by operator (stop-all)');
      case 'emergency-cleanup':
        return this.emergencyCleanup();
    }
  }

  /** Gracefully stops every attempt (Ctrl-C, grace, kill) and waits until all exited. */
  async stopAll(reason: string): Promise<ControlResult> {
    const all = this.running();
    await Promise.all(all.map((a) => a.stop('cancelled', reason)));
    const deadline = Date.now() + this.config.stopGraceMs + 10_000;
    while (this.attempts.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return { ok: this.attempts.size === 0, message: `stopped ${all.length} task(s)`, affected: all.length };
  }

  /** Kills everything Shoal started on this host: sessions, process trees, groups. */
  async emergencyCleanup(): Promise<ControlResult> {
    const all = this.running();
    for (const a of all) await a.stop('cancelled', 'emergency cleanup');
    const report = await this.governor.cleanupAll();
    const sessions = new Set(all.map((a) => teamSession(a.task.team)));
    await this.tmux.killServer().catch(() => undefined);
    return { ok: true, message: `killed ${report.killedPids.length} process(es), ${report.removedGroups.length} group(s), tmux server of ${sessions.size} session(s)`, affected: all.length };
  }

  private async finish(attempt: TaskAttempt): Promise<void> {
    try {
      const result = await attempt.wait();
      this.log.log(`${attempt.key}#${attempt.task.attempt} ${result.outcome} (exit ${result.exitCode}${result.reason ? `: ${result.reason}` : ''})`);
      await this.report(result);
    } catch (e) {
      this.log.error(`${attempt.key} watch failed: ${(e as Error).message}`);
    } finally {
      if (this.attempts.get(attempt.key) === attempt) this.attempts.delete(attempt.key);
    }
  }

  /** Publishes a status report, retrying until NATS takes it: results are never dropped. */
  private async report(s: TaskStatus): Promise<void> {
    for (let delay = 200; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.gateway.reportStatus(s);
        return;
      } catch (e) {
        this.log.warn(`report ${s.kind} ${s.runId}/${s.taskId} failed, retrying in ${delay} ms: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}

/** Governor group names are limited to 128 characters. */
function groupKey(attemptKey: string): string {
  return attemptKey.length <= 128 ? attemptKey : `${attemptKey.slice(0, 100)}.${createHash('sha256').update(attemptKey).digest('hex').slice(0, 16)}`;
}
