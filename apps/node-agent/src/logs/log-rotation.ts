import { copyFile, rename, stat, truncate } from 'node:fs/promises';
import { cleanStart, readLogEnd } from './log-tail.js';

/** Size-based rotation of a task log. */
export interface RotationPolicy {
  /** Rotate once the live file reaches this many bytes (default 10 MiB). */
  maxBytes: number;
  /** Rotated files kept: `<log>.1` (newest) .. `<log>.<keep>` (default 3). */
  keep: number;
}

export const DEFAULT_ROTATION: RotationPolicy = { maxBytes: 10 * 1024 * 1024, keep: 3 };

/**
 * Rotates by copy-and-truncate: shifts `.1..keep-1` up, copies the live file to `.1`, then
 * truncates it to zero. tmux's pipe-pane keeps writing through its `cat >> log` (O_APPEND), so
 * nothing is reopened and the pane is never touched; bytes written between the copy and the
 * truncate (a few milliseconds) can be lost. Returns true when it rotated.
 */
export async function rotateIfNeeded(path: string, policy: RotationPolicy): Promise<boolean> {
  const size = await stat(path).then((s) => s.size, () => 0);
  if (size < policy.maxBytes) return false;
  for (let i = policy.keep - 1; i >= 1; i--) await rename(`${path}.${i}`, `${path}.${i + 1}`).catch(() => undefined);
  if (policy.keep >= 1) await copyFile(path, `${path}.1`);
  await truncate(path, 0);
  return true;
}

/**
 * The last `bytes` of a task log as it was recorded (terminal bytes, decoded as UTF-8; render them
 * with `renderTerminal`), reaching into `<log>.1` when the live file is shorter. A tail cut from a
 * longer file starts at a clean point (see {@link readLogEnd}); it is shortened from the front
 * until it fits a control reply as JSON (192 KiB).
 */
export async function readLogTail(path: string, bytes: number): Promise<string> {
  const liveSize = await stat(path).then((s) => s.size, () => 0);
  const live = await readLogEnd(path, bytes);
  const older = liveSize < bytes ? await readLogEnd(`${path}.1`, bytes - liveSize) : Buffer.alloc(0);
  return fitReply(Buffer.concat([older, live])).toString('utf8');
}

/**
 * What a control reply can carry of a log tail: raw terminal bytes grow in JSON (an ESC is
 * `\u001b`, six bytes), and a bus message holds 256 KiB; the oldest part goes first, the tail
 * starting again at a clean point.
 */
const REPLY_JSON_BYTES = 192 * 1024;

function fitReply(buf: Buffer): Buffer {
  let tail = buf;
  while (tail.length > 0 && Buffer.byteLength(JSON.stringify(tail.toString('utf8'))) > REPLY_JSON_BYTES) {
    tail = tail.subarray(Math.ceil(tail.length / 8));
    tail = tail.subarray(cleanStart(tail));
  }
  return tail;
}
