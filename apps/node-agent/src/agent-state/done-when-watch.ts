import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentStatus, TaskDispatched, TaskOutcome } from '@shoal/protocol';
import { presetOfTask } from '../presets/index.js';
import type { TmuxDriver } from '../tmux/index.js';
import { type IdleMemo, decideDoneWhenIdle } from './done-when.js';

/** What {@link DoneWhenIdle} needs of a running attempt (a TaskAttempt satisfies it). */
export interface IdleAttempt {
  readonly key: string;
  readonly task: TaskDispatched;
  readonly paneId?: string;
  readonly state: string;
  stop(outcome: TaskOutcome, reason: string): Promise<void>;
}

/** Dependencies of {@link DoneWhenIdle}. */
export interface DoneWhenDeps {
  /** The agent state the heartbeats carry (`AgentStates.of`). */
  status(key: string, attempt: number): AgentStatus | undefined;
  /** When the agent's screen last changed (`AgentStates.screenChangedAt`). */
  screenChangedAt(key: string, attempt: number): number | undefined;
  /** The attempt now running under a key: a watch ends once it is another (restart) or none. */
  find(key: string): IdleAttempt | undefined;
  tmux(): Pick<TmuxDriver, 'capturePane' | 'sendKeys'>;
  /** Tells the operator (node log and the task's output). */
  note(task: TaskDispatched, text: string): void;
  warn(message: string): void;
  now(): number;
  /** How often the state is looked at (default 500 ms; the pulse refreshes it every 1-2.5 s). */
  pollMs?: number;
}

/** Longest final screen kept as the output tail (what `task.finished` carries from a log tail too). */
const FINAL_SCREEN_CHARS = 4096;
/** Pause between the stop's Ctrl-C and the rest of the preset's exit keys. */
const EXIT_KEY_GAP_MS = 300;

/**
 * Ends `done_when: idle` tasks: from the first prompt on, looks at the agent's state every
 * `pollMs` and, once {@link decideDoneWhenIdle} says the agent is back at its prompt after its
 * turn, keeps the final screen (the attempt's output tail), tells the operator, and stops the
 * agent gracefully as a succeeded attempt: the executor's stop (Ctrl-C, grace, kill of the group)
 * plus the rest of the preset's `exitKeys` (a second Ctrl-C for the CLIs that ask for one).
 * A watch ends when its attempt ends or is replaced (a restart in its window: the first prompt is
 * not typed again, so its turn cannot end by idleness).
 */
export class DoneWhenIdle {
  private readonly finals = new WeakMap<IdleAttempt, string>();

  constructor(private readonly deps: DoneWhenDeps) {}

  /** Starts watching an attempt whose first prompt was sent at `promptSentAt` (only `doneWhen: idle` tasks). */
  watch(attempt: IdleAttempt, promptSentAt: number): void {
    if (attempt.task.doneWhen !== 'idle') return;
    void this.loop(attempt, { promptSentAt, sawWorking: false }).catch((e: Error) => this.deps.warn(`${attempt.key}#${attempt.task.attempt}: done_when idle watch failed: ${e.message}`));
  }

  /** The screen an attempt ended on by `done_when: idle` (its output tail), if it did. */
  finalScreen(attempt: IdleAttempt): string | undefined {
    return this.finals.get(attempt);
  }

  private async loop(attempt: IdleAttempt, memo: IdleMemo): Promise<void> {
    const { key, task } = attempt;
    const preset = presetOfTask(task);
    for (;;) {
      await sleep(this.deps.pollMs ?? 500, undefined, { ref: false });
      if (this.deps.find(key) !== attempt || attempt.state !== 'running') return;
      const look = { status: this.deps.status(key, task.attempt), screenChangedAt: this.deps.screenChangedAt(key, task.attempt), now: this.deps.now() };
      const d = decideDoneWhenIdle(memo, look, preset.idleMs);
      if (!d.done) continue;
      const paneId = attempt.paneId;
      const screen = paneId ? await this.deps.tmux().capturePane(paneId).catch(() => undefined) : undefined;
      if (stateOf(attempt) !== 'running') return; // stopped meanwhile
      if (screen !== undefined) this.finals.set(attempt, screen.slice(-FINAL_SCREEN_CHARS));
      this.deps.note(task, d.reason);
      await attempt.stop('succeeded', d.reason); // Ctrl-C; the group is killed after the grace period
      const keys = preset.exitKeys ?? ['C-c'];
      const rest = keys[0] === 'C-c' ? keys.slice(1) : keys;
      if (!paneId || rest.length === 0) return;
      await sleep(EXIT_KEY_GAP_MS, undefined, { ref: false });
      if (stateOf(attempt) === 'stopping') await this.deps.tmux().sendKeys(paneId, rest).catch(() => undefined);
      return;
    }
  }
}

/** An attempt's state read afresh (it changes across awaits). */
const stateOf = (a: IdleAttempt): string => a.state;
