import type { AgentStateName, MenuChoice } from '@shoal/protocol';
import { type ChooseOutcome, answerFor, findMenu } from '../menus/index.js';
import { presetOfTask, stabilityKey } from '../presets/index.js';
import type { WatchedAttempt } from './agent-states.js';

/** One observation of an interactive agent's screen (each pulse). */
export interface ScreenObservation {
  state: AgentStateName;
  screen: string;
  /** How long the screen has been unchanged (animation ignored). */
  stableForMs: number;
}

/** What {@link MenuAnswers} acts through. */
export interface MenuAnswersDeps {
  /** Picks `choice` on the attempt's pane (`chooseOption` under the pane's writer lock). */
  choose(a: WatchedAttempt, choice: MenuChoice): Promise<ChooseOutcome>;
  /** Tells the operator (node log and the task's output). */
  note(a: WatchedAttempt, text: string): void;
  warn(message: string): void;
}

/** What happened to one menu appearance. */
export type AnswerResult = 'none' | 'chosen' | 'unchanged' | 'failed';

interface Memo {
  attempt: number;
  /** The menu appearance already handled (menu id and screen); cleared when the agent leaves the menu. */
  handled?: string;
  busy?: boolean;
}

/**
 * Applies a task's `answers:` (docs/agents.md "Answering menus"): when the agent sits in a menu on
 * a stable screen and its preset recognises it (or a `/regex/` answer matches the screen), the
 * declared option is chosen — once per appearance of that menu (a menu that stays after the answer
 * is left to the operator, not answered again and again), logged on the task's output and counted.
 * A menu no answer names stays in state `menu` for the operator, as without answers.
 */
export class MenuAnswers {
  private readonly memos = new Map<string, Memo>();
  /** Answers given, by result (for the node log and tests). */
  readonly counts: Record<Exclude<AnswerResult, 'none'>, number> = { chosen: 0, unchanged: 0, failed: 0 };

  constructor(private readonly deps: MenuAnswersDeps) {}

  /** Handles one observation; resolves once a chosen answer was carried out. */
  async observe(a: WatchedAttempt, o: ScreenObservation): Promise<AnswerResult> {
    const answers = a.task.answers;
    if (!answers?.length) return 'none';
    const memo = this.memoOf(a);
    if (o.state !== 'menu') {
      memo.handled = undefined;
      return 'none';
    }
    const preset = presetOfTask(a.task);
    if (memo.busy || o.stableForMs < preset.stableMs) return 'none';
    const menu = findMenu(preset, o.screen);
    const appearance = `${menu?.known?.id ?? '?'}\n${stabilityKey(o.screen, preset.patterns.animated.map((p) => new RegExp(p, 'gm')))}`;
    if (!menu || memo.handled === appearance) return 'none';
    const answer = answerFor(answers, menu, o.screen);
    if (!answer) return 'none';
    memo.handled = appearance;
    memo.busy = true;
    const what = `menu ${menu.known ? `"${menu.known.id}"` : answer.when}: answers chose`;
    try {
      const r = await this.deps.choose(a, answer.choose);
      if (!r.ok) {
        this.counts.failed += 1;
        this.deps.note(a, `${what} nothing: ${r.reason} (left for the operator)`);
        return 'failed';
      }
      const result = r.changed ? 'chosen' : 'unchanged';
      this.counts[result] += 1;
      this.deps.note(a, `${what} ${r.chosen.index}. ${r.chosen.label} (${r.keys.join(' ')})${r.changed ? '' : '; the screen did not change'}`);
      return result;
    } catch (e) {
      this.counts.failed += 1;
      this.deps.warn(`${a.key}#${a.task.attempt}: answering a menu failed: ${(e as Error).message}`);
      return 'failed';
    } finally {
      memo.busy = false;
    }
  }

  /** Forgets an attempt that ended. */
  forget(key: string): void {
    this.memos.delete(key);
  }

  private memoOf(a: WatchedAttempt): Memo {
    const m = this.memos.get(a.key);
    if (m && m.attempt === a.task.attempt) return m;
    const memo: Memo = { attempt: a.task.attempt };
    this.memos.set(a.key, memo);
    return memo;
  }
}
