import type { JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { type ControlRequest, type Heartbeat, PROTOCOL_VERSION, type TaskDispatched, type TaskStatus, taskKey } from '@shoal/protocol';
import type { Span } from '@opentelemetry/api';
import { type HeaderCarrier, extractTraceContext, inSpan } from '@shoal/runtime';
import { AgentGateway } from './agent.gateway.js';
import { NODE_AGENT_CONFIG, type NodeAgentConfig } from './config.js';
import type { GovernedTask, ResourceGovernor } from './governor/index.js';
import type { HostBand } from './band/index.js';
import { LogIndex } from './logs/index.js';
import { type AttemptEndDeps, followToEnd } from './attempt-end.js';
import { TaskAttempt, startFailure } from './task-attempt.js';
import type { AgentStates } from './agent-state/agent-states.js';
import { agentWatchers } from './agent-state/executor-policies.js';
import type { DoneWhenIdle } from './agent-state/done-when-watch.js';
import type { TaskCheckins } from './checkin/index.js';
import { type ControlResult, answerControl } from './control-actions.js';
import { AttemptUsage, type AttemptUsageSample } from './usage/attempt-usage.js';
import { type AutoCommitter, TaskWorktree } from './worktree/index.js';
import { AttemptLauncher } from './attempt-launcher.js';
import { type AgentIdentity, RunAs } from './run-as/index.js';
import type { TmuxDriver } from './tmux/index.js';
import { WindowKeeper } from './window-keeper.js';
import { BatchSessions } from './batch/index.js';
import { OperatorActions } from './operator-actions.js';
import { type AttemptRecord, AttemptRecords, type FoundPane, type ReadoptSummary, readoptAttempts, recordOf } from './readopt/index.js';
import { DurableAttempts, claimKey } from './claim/index.js';

export type { ControlResult } from './control-actions.js';

/**
 * Runs the work this node receives: one TaskAttempt per (run, task), each attempt started at most
 * once on this node (a claim on disk; duplicate deliveries acked and counted), results reported
 * through a durable outbox, and operator control (cancel, stop-all, cleanup).
 */
@Injectable()
export class ExecutorService implements OnModuleInit {
  private readonly log = new Logger('executor');
  private readonly attempts = new Map<string, TaskAttempt>();
  /** Claims of the attempts started here and the outbox of their reports (on disk). */
  private readonly durable: DurableAttempts;
  private tmux!: TmuxDriver;
  private governor!: ResourceGovernor;
  /** Check-ins of interactive agents (created in attach). */
  private checkins!: TaskCheckins;
  /** Live agent state of the running attempts (one capture per interactive agent per pulse). */
  private agentStates?: AgentStates;
  /** Ends `done_when: idle` tasks once their agent is back at its prompt after its turn (created in attach). */
  private doneWhen!: DoneWhenIdle;
  /** Host CPU band (set at start unless disabled): admission and throttling. */
  band?: HostBand;
  readonly logs: LogIndex;
  /** Latest per-agent usage, refreshed once per pulse for heartbeats. */
  private readonly usage = new AttemptUsage((a, text) => {
    this.log.warn(`${a.key}#${a.task.attempt} ${text}`);
    this.output(a.task, 0, `\n[shoal] ${text}\n`);
  });
  /** Starts attempts: resource group, window, log, periodic restart (created in attach). */
  private launcher!: AttemptLauncher;
  /** Batch members: one session (window, agent) per batch, members one after another (created in attach). */
  private batches!: BatchSessions;
  /** Housekeeping of the team sessions' windows. */
  private readonly windows: WindowKeeper;
  /** Running attempts on disk, for the next incarnation to re-adopt (see readopt/). */
  private readonly records: AttemptRecords;
  /** Unprivileged agents (`SHOAL_RUN_AS`): one uid per running attempt; undefined when off. */
  runAs?: RunAs;
  /** Stop-all, reset and emergency cleanup. */
  private readonly operator = new OperatorActions({
    running: () => this.running(),
    count: () => this.attempts.size,
    stopGraceMs: () => this.config.stopGraceMs,
    drainWarmPool: async () => void (await this.launcher.warm?.drain()),
    forgetLocalState: () => (this.logs.clear(), this.usage.clear()),
    governor: () => this.governor,
    tmux: () => this.tmux,
  });

  /** Following each attempt to its end: restarts by policy, then the final commit and the report (see followToEnd). */
  private readonly ends: AttemptEndDeps = {
    current: (key) => this.attempts.get(key),
    forget: (a) => this.attempts.delete(a.key),
    relaunch: (a, identity) => this.launcher.launch(a.task, this.launcher.span(a.task, `shoal.task ${a.task.taskId} (restart)`), identity),
    persist: (a) => this.persist(a, true),
    removeRecord: (r) => this.records.remove(r.runId, r.taskId, r.attempt),
    finalScreen: (a) => this.doneWhen.finalScreen(a),
    paneEnded: (paneId) => this.windows.finishedPane(paneId),
    pruneSession: (session) => this.windows.prune(session),
    report: (r) => this.report(r),
    releaseIdentity: (what, identity, committer) => this.releaseIdentity(what, identity, committer),
    forgetUsage: (key) => this.usage.forget(key),
    note: (a, text) => (this.log.warn(`${a.key}#${a.task.attempt}: ${text}`), this.output(a.task, 0, `\n[shoal] ${text}\n`)),
    log: (m) => this.log.log(m),
    error: (m) => this.log.error(m),
  };

  constructor(
    @Inject(NODE_AGENT_CONFIG) private readonly config: NodeAgentConfig,
    private readonly gateway: AgentGateway,
  ) {
    this.logs = new LogIndex(`${config.dataDir}/logs`);
    this.windows = new WindowKeeper(() => this.tmux, config.keepDeadWindows, (m) => this.log.warn(m));
    this.records = new AttemptRecords(`${config.dataDir}/attempts`);
    const log = new Logger('durable');
    this.durable = new DurableAttempts({
      dataDir: config.dataDir,
      publish: (s) => this.gateway.reportStatus(s),
      onReconnect: (fn) => this.gateway.onReconnect(fn),
      beforeStop: (fn) => this.gateway.beforeStop(fn),
      running: () => this.running().map((a) => claimKey(a.task)),
      now: Date.now,
      log: (m) => log.log(m),
      warn: (m) => log.warn(m),
      error: (m) => log.error(m),
    });
  }

  /** Told of every status report this node makes, with its task when still known here (node metrics). */
  reported?: (s: TaskStatus, task: TaskDispatched | undefined) => void;

  /** Reports not yet acknowledged by JetStream (heartbeat). */
  get outboxDepth(): number {
    return this.durable.outbox.depth;
  }


  /** With `SHOAL_RUN_AS`: resolves the user and prepares the data dir; a missing user stops the start with what to do. */
  async onModuleInit(): Promise<void> {
    if (!this.config.runAs) return;
    this.runAs = await RunAs.open({ user: this.config.runAs, uids: this.config.agentUids, dataDir: this.config.dataDir });
    this.log.log(`agents run unprivileged: one uid of ${this.config.agentUids.first}-${this.config.agentUids.last} per attempt, group of ${this.config.runAs} (gid ${this.runAs.user.gid})`);
  }

  /** Hands over the I/O adapters chosen at start; and the launcher that starts attempts (with its warm pool). */
  attach(tmux: TmuxDriver, governor: ResourceGovernor): void {
    this.tmux = tmux;
    this.governor = governor;
    this.launcher = new AttemptLauncher({
      config: this.config,
      tmux,
      governor,
      logs: this.logs,
      windows: this.windows,
      register: (a) => this.attempts.set(a.key, a),
      output: (task, seq, text) => this.output(task, seq, text),
      log: (m) => this.log.log(m),
      warn: (m) => this.log.warn(m),
    });
    const log = (m: string) => this.log.log(m), warn = (m: string) => this.log.warn(m);
    this.batches = new BatchSessions({ tmux, governor, logs: this.logs, windows: this.windows, config: this.config, attempts: this.attempts, report: (s) => this.report(s), forgetUsage: (k) => this.usage.forget(k), output: (t, seq, text) => this.output(t, seq, text), governorKind: governor.kind, log, warn });
    ({ agentStates: this.agentStates, doneWhen: this.doneWhen, checkins: this.checkins } = agentWatchers({
      tmux,
      nodeId: this.config.nodeId,
      stallMs: this.config.stallMs,
      checkinMs: this.config.checkinMs,
      output: (t, text) => this.output(t, 0, text),
      log: this.log,
      find: (key) => this.attempts.get(key),
      publishCheckin: (c) => this.gateway.checkin(c),
    }));
  }

  /** The warm pool for heartbeats: ready slots of its size, or why it turned itself off; undefined when disabled. */
  get warmState(): { ready: number; size: number; off?: string } | undefined {
    const warm = this.launcher.warm;
    if (!warm) return undefined;
    return { ready: warm.size, size: this.config.warmPool, ...(warm.offBecause ? { off: warm.offBecause.slice(0, 500) } : {}) };
  }

  get governorKind(): ResourceGovernor['kind'] {
    return this.governor.kind;
  }

  running(): TaskAttempt[] {
    return [...this.attempts.values()];
  }

  /**
   * What the heartbeat reports running: the attempts running here with their usage, and those
   * whose end is still in the outbox (for the coordinator they run until it can know they ended).
   */
  reportedRunning(): Heartbeat['running'] {
    const list: Heartbeat['running'] = this.running().map((a) => {
      const agent = this.agentStates?.of(a.key, a.task.attempt);
      return { runId: a.task.runId, taskId: a.task.taskId, attempt: a.task.attempt, ...this.usage.of(a.key), ...(agent ? { agent } : {}) };
    });
    const here = new Set(list.map(claimKey));
    for (const e of this.durable.outbox.undeliveredEnds()) if (!here.has(claimKey(e))) list.push(e);
    return list.slice(0, 10_000);
  }

  /**
   * Starts one attempt; acks the work message once the process runs (or could not start, reported
   * as failed). An attempt whose claim exists was started here before: acked, counted, nothing
   * started. The claim is taken only once the host band admits the start, and given back when the
   * start broke off before anything was reported (the gateway naks, JetStream redelivers). A slow
   * start keeps the message in progress (`+WPI` every third of the consumer's AckWait).
   */
  async accept(task: TaskDispatched, msg: JsMsg, headers?: MsgHdrs): Promise<void> {
    const attemptKey = claimKey(task);
    if (this.durable.skipDuplicate(attemptKey, msg)) return;
    const admission = this.band?.admission();
    if (admission && !admission.admit) {
      this.log.warn(`${attemptKey} not started yet: ${admission.reason}; work redelivered in ${BAND_RETRY_MS} ms`);
      msg.nak(BAND_RETRY_MS);
      return;
    }
    await this.durable.startClaimed(attemptKey, msg, this.gateway.workAckWaitMs / 3, (ack) => this.start(task, attemptKey, headers, ack));
  }

  /** Work messages of an attempt this node had already started (redelivered or published again). */
  get duplicateDeliveries(): number {
    return this.durable.duplicateDeliveries;
  }

  private start(task: TaskDispatched, attemptKey: string, headers: MsgHdrs | undefined, ack: () => void): Promise<void> {
    const span = this.launcher.span(task, `shoal.task ${task.taskId}`, extractTraceContext(headers as unknown as HeaderCarrier | undefined));
    // in the task's span: every log line of the attempt (start, finish) carries its trace id, run and task
    return inSpan(span, () => this.startInSpan(task, attemptKey, span, ack));
  }

  private async startInSpan(task: TaskDispatched, attemptKey: string, span: Span, ack: () => void): Promise<void> {
    const previous = this.attempts.get(taskKey(task.runId, task.taskId));
    if (previous) await previous.stop('cancelled', `superseded by attempt ${task.attempt}`);
    if (task.batch) return this.batches.start(task, span, ack);

    let attempt: TaskAttempt | undefined;
    let committer: AutoCommitter | undefined;
    let identity: AgentIdentity | undefined;
    try {
      identity = await this.runAs?.acquire();
      if (task.repo) {
        const worktree = await TaskWorktree.open({ repo: task.repo, dataDir: this.config.dataDir, runId: task.runId, taskId: task.taskId });
        task = { ...task, cwd: worktree.path };
        committer = this.launcher.committer(worktree, task);
        if (identity) await worktree.handTo(identity); // after the committer: a failed start takes the worktree back
      }
      if (identity && task.cwd) await identity.assertCwd(task.cwd);
      attempt = await this.launcher.launch(task, span, identity);
      committer?.start();
      this.persist(attempt, false);
    } catch (e) {
      if (attempt) this.attempts.delete(attempt.key);
      if (identity) await this.releaseIdentity(attemptKey, identity, committer);
      span.end();
      this.log.error(`${attemptKey} could not start: ${(e as Error).message}`);
      // reported (in the outbox) before the ack: a node-agent dying in between leaves a claim and a report
      await this.report(startFailure(task, this.config.nodeId, (e as Error).message, Date.now()));
      ack();
      return;
    }
    ack();
    this.log.log(`${attemptKey} started in ${attempt.session}:${task.role} (pid ${attempt.pid})`);
    await this.reportStarted(attempt);
    this.checkins.start(attempt);
    const started = attempt;
    this.checkins.firstPrompt(started, (at) => this.doneWhen.watch(started, at));
    void followToEnd(attempt, this.ends, committer, identity);
  }

  /** Publishes task.started (once the process runs), then marks it published in the attempt's record. */
  private async reportStarted(attempt: TaskAttempt): Promise<void> {
    const t = attempt.task;
    await this.report({ v: PROTOCOL_VERSION, kind: 'task.started', runId: t.runId, taskId: t.taskId, attempt: t.attempt, nodeId: this.config.nodeId, startedAt: attempt.startedAt!, session: attempt.session, window: t.role, pid: attempt.pid, governor: this.governor.kind, tmuxSocket: this.tmux.socketName });
    this.persist(attempt, true);
  }

  private output(task: TaskDispatched, seq: number, text: string): void {
    this.gateway.output({ v: PROTOCOL_VERSION, kind: 'task.output', runId: task.runId, taskId: task.taskId, attempt: task.attempt, nodeId: this.config.nodeId, seq, text: text.slice(0, 64 * 1024) });
  }

  /** Operator control addressed to this node. */
  control(req: ControlRequest): Promise<ControlResult> {
    return answerControl(req, {
      nodeId: this.config.nodeId,
      tmux: this.tmux,
      logs: this.logs,
      attempt: (key) => this.attempts.get(key),
      runningCount: () => this.attempts.size,
      stopAll: (reason) => this.operator.stopAll(reason),
      reset: () => this.operator.reset(),
      emergencyCleanup: () => this.operator.emergencyCleanup(),
      deliveredEnd: (ref) => this.durable.outbox.deliveredEnd(ref),
    });
  }

  /** Gracefully stops every attempt (Ctrl-C, grace, kill) and waits until all exited. */
  stopAll(reason: string): Promise<ControlResult> {
    return this.operator.stopAll(reason);
  }

  /** After an unprivileged attempt: its worktree back to root, every process of its uid killed, its home removed, the uid freed. */
  private async releaseIdentity(what: string, identity: AgentIdentity, committer?: AutoCommitter): Promise<void> {
    await committer?.worktree.reclaim().catch((e: Error) => this.log.warn(`${what} worktree not reclaimed: ${e.message}`));
    await identity.release().catch((e: Error) => this.log.warn(`${what} agent uid ${identity.uid} kept: ${e.message}`));
  }

  /** Latest CPU%/RSS of an attempt (from the last {@link refreshUsage}). */
  usageOf(key: string): AttemptUsageSample | undefined {
    return this.usage.of(key);
  }

  /** Reads every running agent's usage once (one pulse). */
  refreshUsage(): Promise<void> {
    return this.usage.refresh(this.running());
  }

  /** Reads every running agent's state once (one pulse): one pane capture per interactive agent. */
  refreshAgentStates(): Promise<void> {
    return this.agentStates?.refresh(this.running()) ?? Promise.resolve();
  }

  /** Band view of the running agents. */
  bandTargets() {
    return this.running()
      .filter((a) => a.state === 'running')
      .map((a) => ({ key: a.key, priority: a.task.priority, budgetCpu: a.task.cpuPercent, startedAt: a.startedAt ?? 0, setCpu: (p: number) => a.governed.setCpu(p) }));
  }

  /** Starts warming windows (after re-adoption cleared what a previous incarnation left). */
  startWarmPool(): void {
    this.launcher.warm?.fill();
  }

  /** Ends the warm windows (a shutdown that leaves the agents running). */
  async drainWarmPool(): Promise<void> {
    await this.launcher.warm?.drain();
  }

  /**
   * At start, before work is consumed: opens the outbox (reports a previous incarnation left are
   * delivered first, in order), takes over the attempts it recorded that still run, reports once
   * those that ended or vanished meanwhile (unless the outbox has their end already), clears the
   * rest, and gives back the claims of starts it never completed.
   */
  async readopt(): Promise<ReadoptSummary> {
    await this.durable.open();
    await this.batches.recover().then((n) => n && this.log.warn(`${n} batch member(s) taken by a previous incarnation reported lost (batch sessions are not re-adopted)`));
    const handled = new Set<string>();
    const summary = await readoptAttempts({
      tmux: this.tmux,
      governor: this.governor,
      records: this.records,
      nodeId: this.config.nodeId,
      adopt: (record, pane, governed) => this.adopt(record, pane, governed),
      handled: (attemptKey) => {
        handled.add(attemptKey);
        this.durable.claims.hold(attemptKey);
      },
      report: (f) => this.report(f),
      log: (m) => this.log.log(m),
      warn: (m) => this.log.warn(m),
    });
    // Agent uids of attempts not re-adopted (ended meanwhile, cleared): their last processes (a setsid child) die now.
    const reaped = await this.runAs?.reapLeftovers().catch((e: Error) => (this.log.warn(`agent uids of a previous incarnation not reaped: ${e.message}`), []));
    if (reaped?.length) this.log.warn(`reaped ${reaped.length} agent uid(s) left by a previous incarnation`);
    this.durable.afterReadoption(handled);
    return summary;
  }

  /** Rebuilds the attempt around its existing pane and group: exit watch, remaining timeout, logs, check-ins; no second task.started. */
  private async adopt(record: AttemptRecord, pane: FoundPane, governed: GovernedTask): Promise<void> {
    const task = record.task;
    const span = this.launcher.span(task, `shoal.task ${task.taskId} (re-adopted)`);
    // Unprivileged agents: the attempt keeps its uid (read from its processes), restarts included.
    const uid = await this.runAs?.uidOfPane(pane.pid);
    const identity = uid === undefined ? undefined : this.runAs!.adopt(uid);
    if (this.runAs && !identity) this.log.warn(`${task.runId}/${task.taskId}#${task.attempt} re-adopted without an agent uid: its pane process does not run under SHOAL_AGENT_UIDS`);
    const { attempt, committer } = await this.launcher.adopt(record, pane, identity ? identity.govern(governed) : governed, span);
    if (!record.startedReported) await this.reportStarted(attempt);
    this.checkins.start(attempt);
    void followToEnd(attempt, this.ends, committer, identity);
  }

  /** Writes the attempt's record; a failure costs only re-adoption after a restart, never the attempt. */
  private persist(attempt: TaskAttempt, startedReported: boolean): void {
    try {
      this.records.save(recordOf(attempt, startedReported));
    } catch (e) {
      this.log.warn(`${attempt.key}#${attempt.task.attempt}: attempt record not written (a restart of this node-agent will not re-adopt it): ${(e as Error).message}`);
    }
  }

  /** Hands a status report to the outbox: resolves once on disk; the outbox delivers it (once). */
  private report(s: TaskStatus): Promise<void> {
    this.reported?.(s, this.attempts.get(taskKey(s.runId, s.taskId))?.task);
    return this.durable.report(s);
  }
}

/** Delay before a work message refused by the host CPU band is delivered again. */
const BAND_RETRY_MS = 2000;
