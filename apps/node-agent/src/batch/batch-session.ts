import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Span } from '@opentelemetry/api';
import { PROTOCOL_VERSION, type TaskDispatched, type TaskFinished, type TaskStatus, attemptKey } from '@shoal/protocol';
import { paneDead, typeLine } from '../checkin/index.js';
import type { NodeAgentConfig } from '../config.js';
import { type Budget, type GovernedTask, type GovernorKind, type ResourceGovernor, groupKey } from '../governor/index.js';
import { renderTerminal } from '@shoal/runtime';
import { cleanStart, type LogIndex } from '../logs/index.js';
import { StateDetector, isInteractiveTask, presetOfTask } from '../presets/index.js';
import { hardMemoryMb } from '../restart/restart-policy.js';
import { TaskAttempt, startFailure } from '../task-attempt.js';
import type { PaneExit, TmuxDriver } from '../tmux/index.js';
import type { WindowKeeper } from '../window-keeper.js';
import { BatchMember } from './batch-member.js';
import { BatchQueue } from './batch-queue.js';
import { TurnTracker } from './turn-tracker.js';

/** A dispatched member waiting for its turn: its task, its span, and what stands for it in the node's table. */
export interface PendingMember {
  readonly key: string;
  readonly task: TaskDispatched;
  readonly span: Span;
  /** Registered while it waits, so that a cancel or a newer attempt finds it. */
  readonly placeholder: TaskAttempt;
}

/** What a batch session needs from the node-agent. */
export interface BatchSessionDeps {
  tmux: TmuxDriver;
  governor: ResourceGovernor;
  logs: LogIndex;
  windows: WindowKeeper;
  config: Pick<NodeAgentConfig, 'nodeId' | 'stopGraceMs'>;
  /** How long an emptied session waits for another member before it ends. */
  lingerMs: number;
  /** Pane look period while a turn runs (default 100 ms: one capture and one status read per look). */
  pollMs?: number;
  /** A settled unknown screen counts as the prompt after this long (default 3 s; see TurnTracker). */
  quietMs?: number;
  /** The node's table of running attempts (by `run/task`). */
  attempts: Map<string, TaskAttempt>;
  report(s: TaskStatus): Promise<void>;
  /** A member ended: its per-attempt usage sample is dropped. */
  forgetUsage?(key: string): void;
  output(task: TaskDispatched, seq: number, text: string): void;
  /** The session ended; `leftover`: members that were still waiting (they need a session of their own). */
  ended(session: BatchSession, leftover: PendingMember[]): void;
  governorKind: GovernorKind;
  log(message: string): void;
  warn(message: string): void;
}

/**
 * One batch running on this node: one window, members one after another. Interactive: one agent
 * process (one resource group) gets each member's prompt when it is back at its prompt, and the
 * member ends when the agent has worked and is back there. Plain commands: each member's command
 * is respawned in the same pane once the previous one exited (its own group). Every member is its
 * own attempt: task.started when its turn begins, task.finished at its end, its byte range of the
 * session's pane log as its log and output tail. The session ends when no member arrived within
 * `lingerMs` of the queue running empty, or at once when a member was stopped mid-turn or the
 * agent died (members still waiting then start a new session).
 */
export class BatchSession {
  readonly queue: BatchQueue<PendingMember>;
  readonly interactive: boolean;
  private paneId = '';
  private windowId = '';
  private pid = 0;
  private sessionName = '';
  private logFile = '';
  private group?: GovernedTask;
  private agentExit?: PaneExit;
  private current?: BatchMember;
  private wake?: () => void;
  private stopping = false;
  private detector?: StateDetector;
  private readonly failures = new Map<BatchMember, string>();
  private readonly sliceStart = new Map<BatchMember, number>();

  constructor(
    readonly key: string,
    first: TaskDispatched,
    private readonly deps: BatchSessionDeps,
  ) {
    this.queue = new BatchQueue(deps.lingerMs, Date.now);
    this.interactive = isInteractiveTask(first);
  }

  /** A member for the queue; false when the session is closed (it needs a session of its own). */
  join(p: PendingMember): boolean {
    if (!this.queue.join(p)) return false;
    this.wake?.();
    return true;
  }

  /** Takes a waiting member out of the queue (stopped before its turn); false when it does not wait here. */
  remove(key: string): boolean {
    return this.queue.remove(key);
  }

  /** Starts the window with the first member (its process runs when this resolves); its turn then runs in the background. */
  async open(first: PendingMember): Promise<void> {
    const { tmux, governor, logs } = this.deps;
    const t = first.task;
    await mkdir(logs.logDir, { recursive: true });
    this.logFile = join(logs.logDir, `${attemptKey(t.runId, t.taskId, t.attempt)}.batch-${t.batch}.log`);
    const window = TaskAttempt.windowOf(t, this.logFile);
    const group = await governor.create(groupKey(attemptKey(t.runId, t.taskId, t.attempt)), budgetOf(t));
    try {
      const win = await tmux.newWindow({ ...window, argv: group.wrapArgv(t.command) });
      group.attach(win.pid);
      this.paneId = win.paneId;
      this.windowId = win.windowId;
      this.pid = win.pid;
      this.sessionName = window.session;
    } catch (e) {
      await group.release().catch(() => undefined);
      throw e;
    }
    void this.deps.windows.tidy(this.sessionName, this.windowId, t.role).catch(() => undefined);
    if (this.interactive) {
      this.group = group;
      this.detector = new StateDetector(presetOfTask(t), { now: Date.now });
      void tmux.waitForExit(this.paneId).then((exit) => {
        this.agentExit = exit;
        this.current?.finishTurn(exit);
        this.wake?.();
      });
    }
    const member = this.member(first, group, 0);
    this.deps.log(`batch ${this.key}: session started in ${this.sessionName}:${t.role} (pid ${this.pid}) with ${first.key}#${t.attempt}`);
    void this.run(member);
  }

  /** Runs turns until the queue stayed empty for the linger, a member was stopped mid-turn or the agent died. */
  private async run(first: BatchMember): Promise<void> {
    let member: BatchMember | undefined = first;
    try {
      while (member) {
        await this.turn(member);
        if (this.stopping || this.agentExit) break;
        member = await this.nextMember();
      }
    } catch (e) {
      this.deps.warn(`batch ${this.key}: ${(e as Error).stack ?? e}`);
    } finally {
      await this.close();
    }
  }

  /** Waits for the next member (or the end of the linger) and starts its turn. */
  private async nextMember(): Promise<BatchMember | undefined> {
    for (;;) {
      if (this.agentExit) return undefined; // members still waiting move to a new session
      const p = this.queue.next();
      if (p) {
        try {
          return await this.begin(p);
        } catch (e) {
          await this.startFailed(p, (e as Error).message);
          continue;
        }
      }
      const left = this.queue.lingerLeft();
      if (!left) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** The next member's turn begins: interactive, in the running agent; plain, its command respawned in the pane. */
  private async begin(p: PendingMember): Promise<BatchMember> {
    await logSettled(this.logFile);
    const offset = await sizeOf(this.logFile);
    if (this.interactive) return this.member(p, this.group!, offset);
    const t = p.task;
    const group = await this.deps.governor.create(groupKey(attemptKey(t.runId, t.taskId, t.attempt)), budgetOf(t));
    try {
      const env = TaskAttempt.windowOf(t, this.logFile).env ?? {};
      const argv = group.wrapArgv(t.command);
      const program = argv.length === 1 ? ['/bin/sh', '-c', 'exec "$@"', 'sh', argv[0]!] : argv;
      const spawn = [...(t.cwd ? ['-c', t.cwd] : []), ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])];
      await this.deps.tmux.run('respawn-pane', ['-t', this.paneId, ...spawn, '--', ...program]);
      const [pid] = await this.deps.tmux.run('display-message', ['-p', '-t', this.paneId, '#{pane_pid}']);
      this.pid = Number(pid);
      group.attach(this.pid);
    } catch (e) {
      await group.release().catch(() => undefined);
      throw e;
    }
    return this.member(p, group, offset);
  }

  /** The member whose turn begins now, registered, its output followed from `offset` of the pane log. */
  private member(p: PendingMember, governed: GovernedTask, offset: number): BatchMember {
    const { deps } = this;
    const t = p.task;
    const window = { ...TaskAttempt.windowOf(t, this.logFile), session: this.sessionName };
    const attemptDeps = { tmux: deps.tmux, governed, window, nodeId: deps.config.nodeId, stopGraceMs: deps.config.stopGraceMs, span: p.span, now: Date.now, windows: deps.windows, output: (seq: number, text: string) => deps.output(t, seq, text) };
    const m = new BatchMember(t, attemptDeps, () => void (this.stopping ||= this.interactive), this.interactive ? { agentDead: () => this.agentExit !== undefined } : undefined);
    m.adopt({ windowId: this.windowId, paneId: this.paneId, pid: this.pid, startedAt: Date.now(), warm: false }, offset);
    this.sliceStart.set(m, offset);
    deps.attempts.set(m.key, m);
    this.current = m;
    return m;
  }

  /** One member from task.started to task.finished. */
  private async turn(m: BatchMember): Promise<void> {
    const t = m.task;
    await this.deps.report({ v: PROTOCOL_VERSION, kind: 'task.started', runId: t.runId, taskId: t.taskId, attempt: t.attempt, nodeId: this.deps.config.nodeId, startedAt: m.startedAt!, session: this.sessionName, window: t.role, pid: this.pid, governor: this.deps.governorKind, tmuxSocket: this.deps.tmux.socketName });
    if (this.interactive) {
      if (this.agentExit) m.finishTurn(this.agentExit);
      else void this.drive(m).catch((e: Error) => this.fail(m, `batch turn failed: ${e.message}`));
    }
    const result = await m.wait();
    const failure = this.failures.get(m);
    this.failures.delete(m);
    // the turn failed (error screen, prompt not typed): that reason, unless a stop or the memory limit ended it
    if (failure && !m.stopRequested && m.verdict === null) Object.assign(result, { outcome: 'failed', reason: failure, exitCode: null });
    await this.slice(m, result);
    this.deps.log(`batch ${this.key}: ${m.key}#${t.attempt} ${result.outcome}${result.reason ? ` (${result.reason})` : ''}`);
    await this.deps.report(result);
    if (this.deps.attempts.get(m.key) === m) {
      this.deps.attempts.delete(m.key);
      this.deps.forgetUsage?.(m.key);
    }
    if (this.current === m) this.current = undefined;
  }

  /** Interactive turn: waits for the prompt, types the member's prompt (verified), waits until the agent worked and is back. */
  private async drive(m: BatchMember): Promise<void> {
    const prompt = m.task.prompt;
    if (!prompt) return this.fail(m, 'an interactive batch member needs a prompt');
    const preset = presetOfTask(m.task);
    const tracker = new TurnTracker({ now: Date.now, stableMs: preset.stableMs, quietMs: this.deps.quietMs ?? 3000 });
    const { tmux } = this.deps;
    while (m.state === 'running' && !this.agentExit) {
      const screen = await tmux.capturePane(this.paneId).catch(() => '');
      const d = this.detector!.observe({ screen, dead: await paneDead(tmux, this.paneId) });
      const look = tracker.look(d, screen);
      if (look.step === 'dead') return;
      if (look.step === 'ended') return m.finishTurn({ exitCode: 0 });
      if (look.step === 'failed') return this.fail(m, look.reason);
      if (look.step === 'type') {
        let after = '';
        try {
          await typeLine(tmux, this.paneId, prompt, async () => void (after = await tmux.capturePane(this.paneId).catch(() => '')));
        } catch (e) {
          this.stopping = true; // a half-typed prompt may sit in the input line: the next member gets a fresh agent
          return this.fail(m, `the prompt did not show in the pane: ${(e as Error).message}`);
        }
        tracker.sent(after);
      }
      await sleep(this.deps.pollMs ?? 100);
    }
  }

  private fail(m: BatchMember, reason: string): void {
    this.failures.set(m, reason.slice(0, 2000));
    m.finishTurn({ exitCode: null });
  }

  /** Copies the member's byte range of the pane log into its own attempt log; its output tail comes from that range. */
  private async slice(m: BatchMember, result: TaskFinished): Promise<void> {
    const t = m.task;
    const start = this.sliceStart.get(m) ?? 0;
    this.sliceStart.delete(m);
    await logSettled(this.logFile);
    const bytes = await readRange(this.logFile, start, await sizeOf(this.logFile));
    await writeFile(this.deps.logs.record(t.runId, t.taskId, t.attempt), bytes).catch((e: Error) => this.deps.warn(`${m.key}#${t.attempt}: log slice not written: ${e.message}`));
    // the member's own bytes, rendered as text (its TUI played in a headless terminal; the last 64 KiB, from a clean start)
    const tail = bytes.length > 64 * 1024 ? bytes.subarray(bytes.length - 64 * 1024) : bytes;
    result.outputTail = (await renderTerminal(tail.subarray(tail === bytes ? 0 : cleanStart(tail)))).slice(-4096);
  }

  /** A waiting member whose turn could not begin (respawn failed): reported failed. */
  private async startFailed(p: PendingMember, why: string): Promise<void> {
    p.span.end();
    this.deps.warn(`batch ${this.key}: ${p.key}#${p.task.attempt} could not start: ${why}`);
    await this.deps.report(startFailure(p.task, this.deps.config.nodeId, why, Date.now()));
    if (this.deps.attempts.get(p.key) === p.placeholder) this.deps.attempts.delete(p.key);
  }

  /** Ends the session: the agent stopped, its group removed, the window left for reading (pruned like any finished one). */
  private async close(): Promise<void> {
    const leftover = this.queue.close();
    if (this.group) {
      await this.group.release().catch((e: Error) => this.deps.warn(`batch ${this.key}: agent group not removed: ${e.message}`));
    }
    this.deps.windows.finishedPane(this.paneId);
    this.deps.windows.prune(this.sessionName);
    this.deps.log(`batch ${this.key}: session ended${leftover.length ? `, ${leftover.length} member(s) move to a new session` : ''}`);
    this.deps.ended(this, leftover);
  }
}

/** The budget of a member's group (one per interactive session, one per plain command). */
function budgetOf(t: TaskDispatched): Budget {
  return { cpuPercent: t.cpuPercent, memoryMb: hardMemoryMb(t.memoryMb, t.onMemoryExceeded ?? 'fail') };
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
}

/** Waits (up to ~1 s) until the pane log stops growing: the pipe's last bytes of one member are not the next member's first. */
async function logSettled(path: string): Promise<void> {
  let last = await sizeOf(path);
  for (let i = 0; i < 10; i++) {
    await sleep(60);
    const now = await sizeOf(path);
    if (now === last) return;
    last = now;
  }
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return Buffer.alloc(0);
  try {
    const buf = Buffer.alloc(end - start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
