import { CHECKIN_DEFAULTS, PROTOCOL_VERSION, type ControlRequest, type TaskCheckin, type TaskDispatched, taskKey } from '@shoal/protocol';
import { isInteractiveTask, presetOfTask } from '../presets/index.js';
import { CheckinLoop } from './checkin-loop.js';
import { sendFirstPrompt } from './first-prompt.js';
import { type PaneTmux, typeLine } from './pane-input.js';

/** What the node knows about a running attempt (a TaskAttempt satisfies it). */
export interface RunningTask {
  readonly key: string;
  readonly task: TaskDispatched;
  readonly paneId?: string;
}

/** Dependencies of {@link TaskCheckins}. */
export interface TaskCheckinsDeps {
  tmux(): PaneTmux;
  nodeId: string;
  /** The attempt now running under a key (`run/task`), if any. */
  find(key: string): RunningTask | undefined;
  publish(c: TaskCheckin): void;
  warn(message: string): void;
  /** Tells the operator about a task (node log and the task's output). */
  note?(task: TaskDispatched, text: string): void;
  /** Overrides every task's interval (tests, `SHOAL_CHECKIN_MS`). */
  intervalMs?: number;
  now?: () => number;
}

/** Check-in loops of the interactive tasks running on this node, one per task key. */
export class TaskCheckins {
  private readonly loops = new Map<string, CheckinLoop>();

  constructor(private readonly deps: TaskCheckinsDeps) {}

  /** Starts check-ins for an attempt if it is interactive; replaces a loop of the same task. */
  start(attempt: RunningTask): void {
    const { task, key } = attempt;
    void this.loops.get(key)?.stop();
    this.loops.delete(key);
    if (!isInteractiveTask(task)) return;
    const loop = new CheckinLoop({
      tmux: this.deps.tmux(),
      paneId: () => this.deps.find(key)?.paneId,
      preset: presetOfTask(task),
      intervalMs: this.deps.intervalMs ?? task.checkinMs ?? CHECKIN_DEFAULTS.intervalMs,
      prompt: task.checkinPrompt ?? CHECKIN_DEFAULTS.prompt,
      now: this.deps.now,
      onError: (e) => this.deps.warn(`check-in of ${key} failed: ${(e as Error).message}`),
      publish: (r) => {
        const current = this.deps.find(key)?.task ?? task;
        this.deps.publish({ v: PROTOCOL_VERSION, kind: 'task.checkin', runId: current.runId, taskId: current.taskId, attempt: current.attempt, nodeId: this.deps.nodeId, ...r });
      },
    });
    this.loops.set(key, loop);
    loop.start();
  }

  /**
   * Types an interactive task's first `prompt` once its agent waits for input (batch members get
   * theirs from their batch session); `onSent` learns when Enter was pressed (`done_when: idle`).
   * Called once per attempt start, never on re-adoption.
   */
  firstPrompt(attempt: RunningTask & { readonly state: string }, onSent?: (at: number) => void): void {
    const { task, key } = attempt;
    if (!task.prompt || task.batch || !isInteractiveTask(task)) return;
    const alive = () => this.deps.find(key) === attempt && attempt.state !== 'exited';
    void sendFirstPrompt({ tmux: this.deps.tmux(), paneId: () => this.deps.find(key)?.paneId, preset: presetOfTask(task), prompt: task.prompt, alive, now: this.deps.now })
      .then((r) => {
        this.deps.note?.(task, r.sent ? 'first prompt sent (seen on screen, then Enter)' : `first prompt not sent: ${r.reason}`);
        if (r.sent) onSent?.(r.at);
      })
      .catch((e: Error) => this.deps.warn(`first prompt of ${key} failed: ${e.message}`));
  }

  /** One check-in of a task now (if its agent is idle): the loop's answer, or `none` without a loop. */
  checkinNow(key: string): ReturnType<CheckinLoop['checkinNow']> | Promise<'none'> {
    return this.loops.get(key)?.checkinNow() ?? Promise.resolve('none');
  }

  /** Stops the check-ins of a task. */
  async stop(key: string): Promise<void> {
    const loop = this.loops.get(key);
    this.loops.delete(key);
    await loop?.stop();
  }

  /** Stops every loop. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.loops.keys()].map((k) => this.stop(k)));
  }
}

/** Reply of the `send` and `capture` control actions. */
export interface PaneControlResult {
  ok: boolean;
  message: string;
  verified?: boolean;
  text?: string;
}

type PaneRequest = Extract<ControlRequest, { action: 'send' | 'capture' }>;

/**
 * `send`: types the text into the task's pane and presses Enter, verified from the screen (copy-mode
 * left first; never interleaved with a check-in). `capture`: the pane's text with `lines` of history.
 */
export async function paneControl(req: PaneRequest, tmux: PaneTmux, running: RunningTask | undefined): Promise<PaneControlResult> {
  const where = taskKey(req.runId, req.taskId);
  if (!running?.paneId || (req.attempt !== undefined && running.task.attempt !== req.attempt)) {
    return { ok: false, message: `task ${where}${req.attempt ? `#${req.attempt}` : ''} is not running on this node` };
  }
  if (req.action === 'capture') {
    const text = await tmux.capturePane(running.paneId, { lines: req.lines ?? 0 });
    return { ok: true, message: `pane of ${where}#${running.task.attempt}`, text: text.slice(-128 * 1024) };
  }
  const r = await typeLine(tmux, running.paneId, req.text);
  return { ok: true, message: `sent to ${where}#${running.task.attempt} (${r.verified ? 'seen in the pane' : 'not verified'}, ${r.attempts} attempt(s))`, verified: r.verified };
}
