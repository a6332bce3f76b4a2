import { copyFile, rename, stat, truncate } from 'node:fs/promises';
import { readLogEnd } from './log-tail.js';

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
 * longer file starts at a clean point (see {@link readLogEnd}).
 */
export async function readLogTail(path: string, bytes: number): Promise<string> {
  const liveSize = await stat(path).then((s) => s.size, () => 0);
  const live = await readLogEnd(path, bytes);
  const older = liveSize < bytes ? await readLogEnd(`${path}.1`, bytes - liveSize) : Buffer.alloc(0);
  return Buffer.concat([older, live]).toString('utf8');
}
