import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from '@shoal/protocol';
import { StateDetector } from '../presets/detector.js';
import type { PresetSpec } from '../presets/types.js';
import { type PaneTmux, paneDead, typeLine } from './pane-input.js';

/** Options of {@link sendFirstPrompt}. */
/**
 * How long the first prompt may take to show in the input box before Enter is withheld. Longer than
 * the 2 s of `shoal send`: agents that have just started on a busy node echo late (the real-agent
 * suite saw claude, gemini and opencode on 2 cores take longer than 2 s, so their prompt was left
 * typed without Enter).
 */
export const FIRST_PROMPT_ECHO_MS = 15_000;

export interface FirstPromptOptions {
  tmux: PaneTmux;
  /** The agent's pane (a getter: it changes when the agent restarts). */
  paneId(): string | undefined;
  preset: PresetSpec;
  prompt: string;
  /** False once the attempt ended: stop waiting. */
  alive(): boolean;
  now?: () => number;
  /** Screen poll period (default 500 ms). */
  pollMs?: number;
  /** Longest wait for the agent's first prompt (default 15 min: start-up, menus answered by an operator). */
  deadlineMs?: number;
}

/** What became of a first prompt: sent (seen on screen, then Enter at `at`, node clock) or why not. */
export type FirstPromptResult = { sent: true; at: number } | { sent: false; reason: string };

/**
 * Types a task's `prompt` once its agent first waits for input: the detector must see the input
 * prompt on a stable screen, never a menu (typed text would pick an option: while the agent shows
 * one — a trust or API-key dialog its `answers:` or an operator deal with — the prompt waits) and
 * never while it works. The text must show on screen before Enter is pressed; text typed but not
 * seen within the verification time is left unsent (no Enter) and said so. One writer per pane
 * (check-ins and `shoal send` wait).
 */
export async function sendFirstPrompt(o: FirstPromptOptions): Promise<FirstPromptResult> {
  const now = o.now ?? Date.now;
  const detector = new StateDetector(o.preset, { now });
  const deadline = now() + (o.deadlineMs ?? 15 * 60_000);
  for (;;) {
    const paneId = o.paneId();
    if (!o.alive() || !paneId) return { sent: false, reason: 'the attempt ended before its agent waited for input' };
    const [screen, dead] = await Promise.all([o.tmux.capturePane(paneId).catch(() => ''), paneDead(o.tmux, paneId)]);
    const d = detector.observe({ screen, dead });
    if (d.state === 'done') return { sent: false, reason: 'the agent exited before it waited for input' };
    if (d.state === 'waiting-for-input' && !d.menu) {
      try {
        await typeLine(o.tmux, paneId, o.prompt, undefined, { verifyTimeoutMs: FIRST_PROMPT_ECHO_MS });
        return { sent: true, at: now() };
      } catch (e) {
        if (e instanceof TimeoutError) return { sent: false, reason: `typed but not seen on screen, so Enter was not pressed (${e.message})` };
        throw e;
      }
    }
    if (now() >= deadline) return { sent: false, reason: `the agent did not wait for input within ${Math.round((o.deadlineMs ?? 15 * 60_000) / 1000)} s (last state: ${d.state}${d.menu ? ', a menu' : ''})` };
    await sleep(o.pollMs ?? 500);
  }
}
