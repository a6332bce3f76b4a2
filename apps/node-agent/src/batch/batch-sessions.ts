import type { Span } from '@opentelemetry/api';
import { PROTOCOL_VERSION, type TaskDispatched, type TaskOutcome, type TaskStatus, batchKey, taskKey } from '@shoal/protocol';
import { startFailure } from '../task-attempt.js';
import type { GovernedTask } from '../governor/index.js';
import { QueuedMember } from './batch-member.js';
import { BatchJournal } from './batch-journal.js';
import { BatchSession, type BatchSessionDeps, type PendingMember } from './batch-session.js';

/** What the registry needs: a session's needs, without what it provides itself. */
export type BatchSessionsDeps = Omit<BatchSessionDeps, 'ended' | 'lingerMs' | 'config'> & {
  /** `batchLingerMs`: how long an emptied session waits for another member (node config `SHOAL_BATCH_LINGER_MS`). */
  config: BatchSessionDeps['config'] & { dataDir: string; batchLingerMs: number };
};

/**
 * The batch sessions of this node, keyed by `<run>/<batch>`: a dispatched task with `batch` joins
 * the live session of its batch (acked at once, it waits for its turn), else it starts a new
 * session as its first member through the normal launch (window, resource group).
 */
export class BatchSessions {
  private readonly sessions = new Map<string, BatchSession>();
  private readonly sessionDeps: BatchSessionDeps;
  /** Members taken and not yet reported finished (on disk, for the next incarnation). */
  private readonly journal: BatchJournal;

  constructor(private readonly deps: BatchSessionsDeps) {
    const lingerMs = deps.config.batchLingerMs;
    this.journal = new BatchJournal(deps.config.dataDir);
    const report = async (s: TaskStatus) => {
      await deps.report(s);
      if (s.kind === 'task.finished') this.journal.remove(s);
    };
    this.sessionDeps = { ...deps, report, lingerMs, ended: (s, leftover) => this.ended(s, leftover) };
  }

  /** At start, before work is consumed: reports `lost` the members a previous incarnation took and never finished; returns how many. */
  recover(): Promise<number> {
    return this.journal.recover(this.deps.config.nodeId, (f) => this.deps.report(f), Date.now());
  }

  /** Sessions alive now. */
  get size(): number {
    return this.sessions.size;
  }

  /**
   * Takes a dispatched batch member: joins its batch's live session, or opens one with it. `ack`
   * is called once the member is queued or its process runs (or it could not start: reported failed).
   */
  async start(task: TaskDispatched, span: Span, ack: () => void): Promise<void> {
    const key = batchKey(task.runId, task.batch!);
    this.journal.add(task);
    const pending = this.pending(task, span);
    const live = this.sessions.get(key);
    if (live?.join(pending)) {
      ack();
      this.sessionDeps.log(`${pending.key}#${task.attempt} queued in batch ${key}`);
      return;
    }
    await this.open(key, pending);
    ack();
  }

  /** A waiting member: registered at once (a cancel finds it), its turn comes later. */
  private pending(task: TaskDispatched, span: Span): PendingMember {
    const key = taskKey(task.runId, task.taskId);
    const { sessionDeps: d } = this;
    const window = { session: '', window: task.role, argv: task.command, logFile: '' };
    const placeholder = new QueuedMember(task, { tmux: d.tmux, governed: IDLE_GROUP, window, nodeId: d.config.nodeId, stopGraceMs: d.config.stopGraceMs, span, now: Date.now, windows: d.windows, output: () => undefined }, (outcome, reason) =>
      this.dequeue(pending, outcome, reason),
    );
    const pending: PendingMember = { key, task, span, placeholder };
    d.attempts.set(key, placeholder);
    return pending;
  }

  /** A member stopped before its turn: out of its queue, reported with the stop's outcome. */
  private dequeue(p: PendingMember, outcome: TaskOutcome, reason: string): void {
    for (const s of this.sessions.values()) s.remove(p.key);
    p.span.end();
    const t = p.task;
    const { attempts } = this.sessionDeps;
    void this.sessionDeps
      .report({ v: PROTOCOL_VERSION, kind: 'task.finished', runId: t.runId, taskId: t.taskId, attempt: t.attempt, nodeId: this.sessionDeps.config.nodeId, outcome, exitCode: null, reason: `${reason} (before its turn in batch ${t.batch})`.slice(0, 2000), finishedAt: Date.now(), outputTail: '' })
      .finally(() => attempts.get(p.key) === p.placeholder && attempts.delete(p.key));
  }

  /** A new session with `first` as its first member; a start that fails is reported failed, and members that joined meanwhile move on. */
  private async open(key: string, first: PendingMember): Promise<void> {
    const s = new BatchSession(key, first.task, this.sessionDeps);
    this.sessions.set(key, s);
    try {
      await s.open(first);
    } catch (e) {
      if (this.sessions.get(key) === s) this.sessions.delete(key);
      const why = (e as Error).message;
      this.sessionDeps.warn(`${first.key}#${first.task.attempt} could not start batch ${key}: ${why}`);
      first.span.end();
      await this.sessionDeps.report(startFailure(first.task, this.sessionDeps.config.nodeId, why, Date.now()));
      if (this.sessionDeps.attempts.get(first.key) === first.placeholder) this.sessionDeps.attempts.delete(first.key);
      this.moveOn(key, s.queue.close());
    }
  }

  private ended(s: BatchSession, leftover: PendingMember[]): void {
    if (this.sessions.get(s.key) === s) this.sessions.delete(s.key);
    this.moveOn(s.key, leftover);
  }

  /** Members left waiting by a session that ended early: the first opens a new session, the others join it. */
  private moveOn(key: string, leftover: PendingMember[]): void {
    const [first, ...rest] = leftover;
    if (!first) return;
    const live = this.sessions.get(key);
    if (live) {
      for (const p of leftover) if (!live.join(p)) this.moveOn(key, [p]);
      return;
    }
    void this.open(key, first);
    const opened = this.sessions.get(key);
    for (const p of rest) opened?.join(p);
  }
}

/** The group of a member still waiting: nothing runs in it. */
const IDLE_GROUP: GovernedTask = {
  taskKey: 'batch-waiting',
  wrapArgv: (argv) => argv,
  attach: () => undefined,
  usage: () => Promise.resolve({ cpuPercent: 0, rssMb: 0 }),
  verdict: () => Promise.resolve(null),
  setCpu: () => Promise.resolve(),
  resize: () => Promise.resolve(),
  kill: () => Promise.resolve(),
  release: () => Promise.resolve(),
};
