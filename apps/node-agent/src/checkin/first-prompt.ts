import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from '@shoal/protocol';
import { StateDetector } from '../presets/detector.js';
import type { PresetSpec } from '../presets/types.js';
import { type PaneTmux, paneDead, typeLine } from './pane-input.js';

/** Options of {@link sendFirstPrompt}. */
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

/** What became of a first prompt. */
export type FirstPromptResult = { sent: true; verified: boolean } | { sent: false; reason: string };

/**
 * Types a task's `prompt` once its agent first waits for input: the detector must see the input
 * prompt on a stable screen, never a menu (typed text would pick an option) and never while it
 * works. Verified on screen before Enter, one writer per pane (check-ins and `shoal send` wait).
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
        await typeLine(o.tmux, paneId, o.prompt);
        return { sent: true, verified: true };
      } catch (e) {
        if (e instanceof TimeoutError) return { sent: true, verified: false };
        throw e;
      }
    }
    if (now() >= deadline) return { sent: false, reason: `the agent did not wait for input within ${Math.round((o.deadlineMs ?? 15 * 60_000) / 1000)} s (last state: ${d.state}${d.menu ? ', a menu' : ''})` };
    await sleep(o.pollMs ?? 500);
  }
}
