import { mkdir } from 'node:fs/promises';
import { type Context, type Span, trace } from '@opentelemetry/api';
import { COMMIT_EVERY, type TaskDispatched, attemptKey } from '@shoal/protocol';
import type { NodeAgentConfig } from './config.js';
import { type GovernedTask, type ResourceGovernor, groupKey } from './governor/index.js';
import type { LogIndex } from './logs/index.js';
import { AgentHomes } from './homes/index.js';
import { McpConfigWriter } from './mcp/index.js';
import { hardMemoryMb } from './restart/restart-policy.js';
import type { AgentIdentity } from './run-as/index.js';
import { SecretStore } from './secrets/index.js';
import { TaskAttempt } from './task-attempt.js';
import type { NewWindowOptions, TmuxDriver } from './tmux/index.js';
import { WarmPool } from './warm/index.js';
import type { WindowKeeper } from './window-keeper.js';
import { AutoCommitter, TaskWorktree } from './worktree/index.js';
import { logSize } from './logs/index.js';
import type { AttemptRecord, FoundPane } from './readopt/index.js';

/** What starting attempts needs from the node-agent. */
export interface AttemptLauncherDeps {
  config: Pick<NodeAgentConfig, 'nodeId' | 'dataDir' | 'secretsDir' | 'secretEnv' | 'warmPool' | 'stopGraceMs' | 'logRotation'>;
  tmux: TmuxDriver;
  governor: ResourceGovernor;
  logs: LogIndex;
  windows: WindowKeeper;
  /** Takes an attempt into the node's table as soon as it exists (before its process starts). */
  register(attempt: TaskAttempt): void;
  /** Publishes a batch of an attempt's output. */
  output(task: TaskDispatched, seq: number, text: string): void;
  log(message: string): void;
  warn(message: string): void;
}

/**
 * How an attempt comes to run: its span, its resource group (a warm slot's or a new one, dropped
 * to its agent uid when agents run unprivileged), its window and log, its periodic restart and
 * its worktree's auto-committer. The executor decides when; this decides how.
 */
export class AttemptLauncher {
  private readonly tracer = trace.getTracer('shoal-node-agent');
  /** Windows started ahead of time (undefined when the pool is off). */
  readonly warm?: WarmPool;
  /** Set once the log directory exists (created on the first start). */
  private logDirReady?: Promise<unknown>;
  /** Per-attempt MCP config of agent tasks (written before the start, removed when the process ends). */
  readonly mcp: McpConfigWriter;
  /** Prepared HOMEs of agent tasks (a scratch one per attempt by default, removed when the process ends). */
  readonly homes: AgentHomes;
  /** The node's secrets (`secrets:` of a task, resolved before anything starts). */
  readonly secrets: SecretStore;

  constructor(private readonly deps: AttemptLauncherDeps) {
    const { config, tmux, governor, logs, warn } = deps;
    this.mcp = new McpConfigWriter(config.dataDir, warn);
    this.homes = new AgentHomes(config.dataDir, warn);
    // the executor keeps its attempt records in <data>/attempts: homes of recorded attempts may be re-adopted
    const swept = this.homes.clearLeftovers(`${config.dataDir}/attempts`);
    if (swept.length) deps.log(`removed ${swept.length} scratch home(s) left by attempts that ended while no node-agent ran`);
    this.secrets = new SecretStore(config.secretsDir, config.secretEnv, config.nodeId);
    this.mcp.clearLeftovers();
    if (config.warmPool > 0) {
      this.warm = new WarmPool({ tmux, governor, dir: `${config.dataDir}/warm`, logDir: logs.logDir, size: config.warmPool, now: Date.now, warn });
      this.warm.clearLeftovers();
    }
  }

  /** Creates the attempt's resource group and starts the agent in its window. */
  async launch(task: TaskDispatched, span: Span, identity?: AgentIdentity): Promise<TaskAttempt> {
    const { logs, governor } = this.deps;
    this.logDirReady ??= mkdir(logs.logDir, { recursive: true }).catch((e: Error) => {
      this.logDirReady = undefined;
      throw e;
    });
    // a missing or exposed secret fails the start here, before any file, group or window exists
    const secrets = await this.secrets.resolve(task.secrets);
    if (task.secrets) this.deps.log(`${attemptKey(task.runId, task.taskId, task.attempt)} secrets ${Object.entries(secrets.sources).map(([n, from]) => `'${n}' (${from})`).join(', ')} resolved`);
    await this.logDirReady;
    const window = TaskAttempt.windowOf(task, logs.record(task.runId, task.taskId, task.attempt));
    if (identity) Object.assign(window, { env: { ...identity.env(), ...window.env }, cwd: window.cwd ?? identity.home });
    const home = await this.homes.prepare(task, window.cwd, { ...window.env, ...secrets.env }, identity && { uid: identity.uid, gid: identity.gid, home: identity.home });
    if (home) Object.assign(window, { env: { ...window.env, ...home.env }, cwd: window.cwd ?? home.home });
    Object.assign(window, { env: { ...window.env, ...secrets.env } });
    const mcp = await this.mcp.prepare(task, identity);
    if (mcp) Object.assign(window, { argv: mcp.command, env: { ...window.env, ...mcp.env } });
    const budget = { cpuPercent: task.cpuPercent, memoryMb: hardMemoryMb(task.memoryMb, task.onMemoryExceeded ?? 'fail') };
    let attempt: TaskAttempt | undefined;
    try {
      // a warm start hands its environment over in a spec file: secrets never go on disk
      const warm = identity || task.secrets ? undefined : await this.warm?.start({ ...window, budget });
      const group = warm?.governed ?? (await governor.create(groupKey(attemptKey(task.runId, task.taskId, task.attempt)), budget));
      const governed = identity ? identity.govern(group) : group;
      attempt = this.attempt(task, governed, window, span, warm?.dispose);
      this.deps.register(attempt);
      await attempt.start(warm);
    } catch (e) {
      if (mcp && attempt?.pid === undefined) await this.mcp.remove(task).catch(() => undefined);
      if (home?.scratch && attempt?.pid === undefined) await this.homes.remove(task).catch(() => undefined);
      throw e;
    }
    this.periodicRestart(attempt, task.restartEveryMs);
    return attempt;
  }

  /** An attempt around a window and group (a new one, or one taken over from a previous node-agent). */
  attempt(task: TaskDispatched, governed: GovernedTask, window: NewWindowOptions & { logFile: string }, span: Span, onExit?: () => void): TaskAttempt {
    const { config, tmux, windows } = this.deps;
    return new TaskAttempt(task, {
      tmux,
      governed,
      onExit: () => {
        onExit?.();
        // its MCP config goes with the process, before the end is reported (a restart writes it again)
        try {
          this.mcp.removeNow(task);
        } catch (e) {
          this.deps.warn(`${attemptKey(task.runId, task.taskId, task.attempt)} MCP config not removed: ${(e as Error).message}`);
        }
        // its scratch home too (under SHOAL_RUN_AS the attempt's home goes with its uid)
        try {
          this.homes.removeNow(task);
        } catch (e) {
          this.deps.warn(`${attemptKey(task.runId, task.taskId, task.attempt)} scratch home not removed: ${(e as Error).message}`);
        }
      },
      window,
      nodeId: config.nodeId,
      stopGraceMs: config.stopGraceMs,
      span,
      now: Date.now,
      logRotation: config.logRotation,
      output: (seq, text) => this.deps.output(task, seq, text),
      windows,
    });
  }

  /**
   * Takes over an attempt a previous node-agent recorded and left running: the attempt around its
   * existing pane and group (registered, its log continued), what is left of its periodic restart,
   * a usage reading to start from, and its worktree's auto-committer (started; without one when the
   * worktree cannot be opened).
   */
  async adopt(record: AttemptRecord, pane: FoundPane, governed: GovernedTask, span: Span): Promise<{ attempt: TaskAttempt; committer?: AutoCommitter }> {
    const task = record.task;
    const window = { ...TaskAttempt.windowOf(task, record.logFile), session: record.session };
    const attempt = this.attempt(task, governed, window, span);
    attempt.adopt({ ...pane, startedAt: record.startedAt, warm: record.warm }, logSize(record.logFile));
    this.deps.register(attempt);
    if (task.restartEveryMs) this.periodicRestart(attempt, Math.max(0, task.restartEveryMs - (Date.now() - record.startedAt)));
    await governed.usage().catch(() => undefined); // the next reading covers one pulse, not the whole run
    if (!task.repo || !task.cwd) return { attempt };
    try {
      const worktree = await TaskWorktree.open({ repo: task.repo, dataDir: this.deps.config.dataDir, runId: task.runId, taskId: task.taskId });
      const committer = this.committer(worktree, task);
      committer.start();
      return { attempt, committer };
    } catch (e) {
      this.deps.warn(`${attemptKey(task.runId, task.taskId, task.attempt)} re-adopted without auto-commit: ${(e as Error).message}`);
      return { attempt };
    }
  }

  /** The task's span on this node (under the coordinator's trace when `ctx` carries one). */
  span(task: TaskDispatched, name: string, ctx?: Context): Span {
    const attributes = { 'shoal.run_id': task.runId, 'shoal.task_id': task.taskId, 'shoal.attempt': task.attempt, 'shoal.node_id': this.deps.config.nodeId, 'shoal.role': task.role };
    return this.tracer.startSpan(name, { attributes }, ctx);
  }

  /** `restart_every`: restarts the agent in its window after `inMs` (what is left of the period for a re-adopted one). */
  periodicRestart(attempt: TaskAttempt, inMs: number | undefined): void {
    if (inMs === undefined) return;
    const timer = setTimeout(() => void attempt.restart(`periodic restart (every ${attempt.task.restartEveryMs} ms)`), inMs);
    timer.unref();
  }

  /** The auto-committer of a task's worktree. */
  committer(worktree: TaskWorktree, task: TaskDispatched): AutoCommitter {
    const what = attemptKey(task.runId, task.taskId, task.attempt);
    return new AutoCommitter(worktree, { runId: task.runId, taskId: task.taskId, role: task.role, phaseId: task.phaseId, attempt: task.attempt }, task.commitEveryMs ?? COMMIT_EVERY.default, {
      committed: (c) => this.deps.log(`${what} committed ${c.sha.slice(0, 10)} on ${worktree.branch}: ${c.files.length} file(s)`),
      failed: (e) => this.deps.warn(`${what} auto-commit failed: ${e.message}`),
    });
  }
}
