import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError, ValidationError } from '@shoal/protocol';
import type { TmuxRun } from './control-client.js';
import { commandArgProblem } from './quote.js';
import type { SendTextOptions, SendTextResult } from './types.js';

const VERIFY_INTERVAL_MS = 20;
const NEEDLE_CHARS = 32;

/** Leaves copy-mode (or any other mode) so keys reach the program, not the mode. */
export async function leaveModes(run: TmuxRun, paneId: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const [inMode] = await run('display-message', ['-p', '-t', paneId, '#{pane_in_mode}']);
    if (inMode !== '1') return;
    await run('send-keys', ['-t', paneId, '-X', 'cancel']).catch(() => run('copy-mode', ['-q', '-t', paneId]));
  }
  await run('copy-mode', ['-q', '-t', paneId]);
}

/**
 * The part of `text` we look for on screen: its last printable characters, whitespace collapsed
 * (what an echoing program shows). Empty when nothing printable would show.
 */
export function verificationNeedle(text: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\x00-\x1f\x7f]/g, '').replace(/\s+/g, ' ').trim();
  return printable.slice(-NEEDLE_CHARS).trim();
}

/** Lines around the cursor, wrapped lines joined: where freshly typed text shows up. */
async function textNearCursor(run: TmuxRun, paneId: string, textLength: number): Promise<{ screen: string; inMode: boolean }> {
  const [info = ''] = await run('display-message', ['-p', '-t', paneId, '#{cursor_y} #{pane_width} #{pane_in_mode}']);
  const [cursorY, width, inMode] = info.split(' ').map(Number);
  const above = Math.ceil(textLength / Math.max(1, width)) + 1;
  const lines = await run('capture-pane', ['-p', '-J', '-t', paneId, '-S', String(Math.max(0, cursorY - above)), '-E', String(cursorY)]);
  return { screen: lines.join(' ').replace(/\s+/g, ' '), inMode: inMode === 1 };
}

/**
 * Types `text` literally (`send-keys -l`), confirms from the screen that it arrived, then presses
 * Enter as a separate key. If the text does not show because the pane went into copy-mode, the
 * mode is left and the text typed again, up to `attempts` times; otherwise a
 * {@link TimeoutError} says it was not seen (it may still be in the program's input queue).
 */
export async function sendText(run: TmuxRun, paneId: string, text: string, options: SendTextOptions = {}): Promise<SendTextResult> {
  const { enter = true, verify = true, verifyTimeoutMs = 2000, attempts = 3 } = options;
  const problem = commandArgProblem(text);
  if (problem) throw new ValidationError([{ path: 'text', message: `${problem}; send one line at a time` }]);
  const needle = verify ? verificationNeedle(text) : '';
  let attempt = 0;
  for (;;) {
    attempt++;
    await leaveModes(run, paneId);
    if (text !== '') await run('send-keys', ['-t', paneId, '-l', '--', text]);
    if (needle === '') break;
    const seen = await waitForNeedle(run, paneId, needle, text.length, verifyTimeoutMs);
    if (seen === 'seen') break;
    if (seen === 'timeout' || attempt >= attempts) {
      throw new TimeoutError(`text sent to ${paneId} did not show within ${verifyTimeoutMs} ms (attempt ${attempt}, pane ${seen === 'mode' ? 'in a mode' : 'not echoing'})`);
    }
  }
  if (enter) await run('send-keys', ['-t', paneId, 'Enter']);
  return { verified: needle !== '', attempts: attempt };
}

async function waitForNeedle(run: TmuxRun, paneId: string, needle: string, length: number, timeoutMs: number): Promise<'seen' | 'mode' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { screen, inMode } = await textNearCursor(run, paneId, length);
    if (screen.includes(needle)) return 'seen';
    if (inMode) return 'mode';
    if (Date.now() >= deadline) return 'timeout';
    await sleep(VERIFY_INTERVAL_MS);
  }
}
