import { KeyedLock } from '../tmux/keyed-lock.js';
import type { TmuxDriver } from '../tmux/index.js';
import type { SendTextOptions, SendTextResult } from '../tmux/types.js';

/** What check-ins and `shoal send` need from tmux. */
export type PaneTmux = Pick<TmuxDriver, 'sendText' | 'capturePane' | 'run'>;

const typing = new KeyedLock();

/**
 * Types one line into a pane and presses Enter, verified from the screen (copy-mode left first),
 * one writer per pane at a time, so a check-in and an operator's message never interleave.
 */
export function typeLine(tmux: PaneTmux, paneId: string, text: string, hold?: () => Promise<void>, options?: SendTextOptions): Promise<SendTextResult> {
  return typing.run(paneId, async () => {
    const result = await tmux.sendText(paneId, text, options);
    await hold?.();
    return result;
  });
}

/** Runs `fn` as the pane's only writer (no check-in, `send`, `keys` or `choose` interleaves with it). */
export function withPaneInput<T>(paneId: string, fn: () => Promise<T>): Promise<T> {
  return typing.run(paneId, fn);
}

/** True when the pane's process has ended (or the pane is gone). */
export async function paneDead(tmux: PaneTmux, paneId: string): Promise<boolean> {
  try {
    const [dead] = await tmux.run('display-message', ['-p', '-t', paneId, '#{pane_dead}']);
    return dead === '1';
  } catch {
    return true;
  }
}

/**
 * The reply to a check-in: the pane lines after the last line showing `tag` (the check-in's
 * unique marker); the whole capture when the tag scrolled away. Trailing blank lines dropped.
 */
export function replyAfter(screen: string, tag: string, maxChars = 16 * 1024): string {
  const lines = screen.split('\n');
  let at = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.includes(tag)) {
      at = i;
      break;
    }
  }
  const reply = (at >= 0 ? lines.slice(at + 1) : lines).join('\n').replace(/\s+$/, '');
  return reply.length > maxChars ? reply.slice(-maxChars) : reply;
}
