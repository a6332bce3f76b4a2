import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { PROTOCOL_VERSION, type TaskDispatched, type TaskFinished, type TaskOutcome, teamSession, taskKey } from '@shoal/protocol';
import type { GovernedTask, Verdict } from './governor/index.js';
import type { RotationPolicy } from './logs/index.js';
import { LogFollower, readFinalTail } from './log-follower.js';
import type { NewWindowOptions, NewWindowResult, PaneExit, TmuxDriver } from './tmux/index.js';
import type { WindowKeeper } from './window-keeper.js';

/** Lifecycle of one attempt on this node. */
export type AttemptState = 'starting' | 'running' | 'stopping' | 'exited';

/** What an attempt needs from its surroundings. */
export interface AttemptDeps {
  tmux: TmuxDriver;
  governed: GovernedTask;
  /** Where the attempt runs (see {@link TaskAttempt.windowOf}). */
  window: NewWindowOptions & { logFile: string };
  nodeId: string;
  stopGraceMs: number;
  span: Span;
  output(seq: number, text: string): void;
  now(): number;
  /** Size-based rotation of the log file (none when absent). */
  logRotation?: RotationPolicy;
  /** Housekeeping of the session's windows (tidied after the start). */
  windows: WindowKeeper;
  /** Runs once the process ended and its group was released. */
  onExit?(): void;
}

/** One attempt of one task: its window, its budget, its timeout, and how it ended. */
export class TaskAttempt {
  state: AttemptState = 'starting';
  paneId?: string;
  windowId?: string;
  pid?: number;
  /** Started in a window of the warm pool. */
  warm = false;
  startedAt?: number;
  /** Why the governor killed the processes, once the attempt exited. */
  verdict: Verdict = null;
  /** The stop was a restart request (periodic restart), not an end. */
  restartRequested = false;
  private stopReason?: { outcome: TaskOutcome; reason: string };
  private timeout?: NodeJS.Timeout;
  private follower?: LogFollower;
  readonly logFile: string;
  readonly session: string;
  /** Where the attempt runs (see {@link TaskAttempt.windowOf}). */
  readonly window: NewWindowOptions;

  constructor(
    readonly task: TaskDispatched,
    private readonly deps: AttemptDeps,
  ) {
    this.window = deps.window;
    this.session = deps.window.session;
    this.logFile = deps.window.logFile;
  }

  /** The window an attempt of `task` runs in: its team's session, its role, its command, environment and `logFile`. */
  static windowOf(task: TaskDispatched, logFile: string): NewWindowOptions & { logFile: string } {
    return {
      session: teamSession(task.team),
      window: task.role,
      argv: task.command,
      cwd: task.cwd,
      env: {
        ...task.env,
        SHOAL_RUN_ID: task.runId,
        SHOAL_TASK_ID: task.taskId,
        SHOAL_ATTEMPT: String(task.attempt),
        ...(task.cache ? { SHOAL_CACHE_URL: task.cache.url, SHOAL_CACHE_TOKEN: task.cache.token } : {}),
      },
      logFile,
    };
  }

  /** The resource group of this run of the agent. */
  get governed(): GovernedTask {
    return this.deps.governed;
  }

  /** True when an operator cancel, a timeout or a shutdown stopped it (never restarted). */
  get stopRequested(): boolean {
    return !!this.stopReason && !this.restartRequested;
  }

  /** Why a restart was requested (see {@link restart}); false when none was. */
  get restartReason(): string | false {
    return this.restartRequested ? (this.stopReason?.reason ?? 'restart requested') : false;
  }

  /** Stops the agent so that the executor starts it again in the same window (same attempt). */
  async restart(reason: string): Promise<void> {
    if (this.state !== 'running') return;
    this.restartRequested = true;
    await this.stop('cancelled', reason);
  }

  get key(): string {
    return taskKey(this.task.runId, this.task.taskId);
  }

  /**
   * Starts the process in its team's session, inside its resource group; `started` is a window
   * whose process already runs there (a warm start), else a new window is created.
   */
  async start(started?: NewWindowResult): Promise<void> {
    const { tmux, governed } = this.deps;
    // window.argv: the task's command, with what its agent preset adds (MCP config flags)
    const win = started ?? (await tmux.newWindow({ ...this.window, argv: governed.wrapArgv([...this.window.argv]) }));
    this.paneId = win.paneId;
    this.windowId = win.windowId;
    this.pid = win.pid;
    this.warm = !!started;
    void this.deps.windows.tidy(this.session, win.windowId, this.task.role).catch(() => undefined);
    if (!started) governed.attach(win.pid);
    this.startedAt = this.deps.now();
    this.running(0, this.task.timeoutMs || undefined);
  }

  /**
   * Takes over an agent a previous node-agent started (its pane still runs `pid`): no new window;
   * output is followed from the log's current end (tmux's pipe-pane kept appending to it), and the
   * timeout gets what is left of it (an attempt already past it is stopped at once).
   */
  adopt(win: { windowId: string; paneId: string; pid: number; startedAt: number; warm: boolean }, logOffset: number): void {
    this.paneId = win.paneId;
    this.windowId = win.windowId;
    this.pid = win.pid;
    this.warm = win.warm;
    this.startedAt = win.startedAt;
    const left = this.task.timeoutMs ? this.task.timeoutMs - (this.deps.now() - win.startedAt) : undefined;
    this.running(logOffset, left === undefined ? undefined : Math.max(0, left));
    if (left !== undefined && left <= 0) void this.stop('timed-out', `timed out after ${this.task.timeoutMs} ms (its deadline passed while no node-agent watched; stopped when re-adopted)`);
  }

  private running(logOffset: number, timeoutMs: number | undefined): void {
    this.state = 'running';
    let seq = 0;
    this.follower = new LogFollower(this.logFile, (text) => this.deps.output(seq++, text), undefined, undefined, this.deps.logRotation);
    this.follower.start(logOffset);
    if (timeoutMs !== undefined && timeoutMs > 0) {
      this.timeout = setTimeout(() => void this.stop('timed-out', `timed out after ${this.task.timeoutMs} ms`), timeoutMs);
    }
  }

  /** Waits for the process to end and builds the report. */
  async wait(): Promise<TaskFinished> {
    const exit = await this.deps.tmux.waitForExit(this.paneId!);
    clearTimeout(this.timeout);
    this.state = 'exited';
    await this.follower?.stop();
    const verdict = await this.deps.governed.verdict().catch(() => null);
    this.verdict = verdict;
    await this.deps.governed.release().catch(() => undefined);
    this.deps.onExit?.();
    let outcome: TaskOutcome = exit.exitCode === 0 && !exit.signal ? 'succeeded' : 'failed';
    let reason: string | undefined;
    if (verdict === 'memory-limit-exceeded') {
      outcome = 'failed';
      reason = `memory limit exceeded (${this.task.memoryMb} MB)`;
    } else if (this.stopReason) {
      ({ outcome, reason } = this.stopReason);
    } else if (outcome === 'failed') {
      reason = exitReason(exit);
    }
    const span = this.deps.span;
    span.setAttributes({ 'shoal.exit_code': exit.exitCode ?? -1, 'shoal.outcome': outcome });
    if (outcome !== 'succeeded') span.setStatus({ code: SpanStatusCode.ERROR, message: reason ?? outcome });
    span.end();
    return {
      v: PROTOCOL_VERSION,
      kind: 'task.finished',
      runId: this.task.runId,
      taskId: this.task.taskId,
      attempt: this.task.attempt,
      nodeId: this.deps.nodeId,
      outcome,
      exitCode: exit.exitCode,
      signal: exit.signal,
      reason,
      startedAt: this.startedAt,
      finishedAt: this.deps.now(),
      outputTail: (await readFinalTail(this.logFile, await this.finalScreen(), 4096, this.deps.now)).slice(-4096),
    };
  }

  /**
   * The dead pane's text, which the final output tail waits for the log to catch up with
   * ({@link readFinalTail}); undefined when it cannot be read (the tail is then read once).
   */
  protected async finalScreen(): Promise<string | undefined> {
    try {
      return await this.deps.tmux.capturePane(this.paneId!);
    } catch {
      return undefined;
    }
  }

  /** Stops the attempt: Ctrl-C first, then the whole process group after the grace period. */
  async stop(outcome: TaskOutcome, reason: string): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.stopReason = { outcome, reason };
    clearTimeout(this.timeout);
    await this.deps.tmux.sendKeys(this.paneId!, ['C-c']).catch(() => undefined);
    const grace = setTimeout(() => void this.deps.governed.kill().catch(() => undefined), this.deps.stopGraceMs);
    grace.unref();
  }
}

/** Why a process that did not succeed ended, in words for the operator. */
export function exitReason(exit: PaneExit): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.lost) return 'exit status lost: its window or the tmux server vanished before the status could be read';
  if (exit.exitCode === null) return 'exit status unknown: tmux reported none and no zombie was left to read it from';
  return `exited with code ${exit.exitCode}`;
}

/** The report of an attempt that could not start (no process ran): failed, with why. */
export function startFailure(task: TaskDispatched, nodeId: string, why: string, now: number): TaskFinished {
  return {
    v: PROTOCOL_VERSION,
    kind: 'task.finished',
    runId: task.runId,
    taskId: task.taskId,
    attempt: task.attempt,
    nodeId,
    outcome: 'failed',
    exitCode: null,
    reason: `could not start: ${why}`.slice(0, 2000),
    finishedAt: now,
    outputTail: '',
  };
}

