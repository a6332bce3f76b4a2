import { open, stat } from 'node:fs/promises';
import { type RotationPolicy, rotateIfNeeded } from './logs/log-rotation.js';

/** Reads the last `bytes` of a file as text ('' if it does not exist). */
export async function readTail(path: string, bytes = 4096): Promise<string> {
  try {
    const { size } = await stat(path);
    const fh = await open(path, 'r');
    try {
      const len = Math.min(size, bytes);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      return stripTerminal(buf.toString('utf8'));
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/**
 * Follows a growing log file and hands new text to `emit` in batches no larger than
 * `maxBatchBytes` per tick (rate limit); the full log always stays on disk.
 */
export class LogFollower {
  private offset = 0;
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly path: string,
    private readonly emit: (text: string) => void,
    private readonly intervalMs = 500,
    private readonly maxBatchBytes = 16 * 1024,
    private readonly rotation?: RotationPolicy,
  ) {}

  /** Starts following; `fromOffset` skips what the file already holds (a re-adopted attempt). */
  start(fromOffset = 0): void {
    this.offset = fromOffset;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops following after one last read. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    await this.tick();
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.rotation && (await rotateIfNeeded(this.path, this.rotation))) this.offset = 0;
      const { size } = await stat(this.path);
      if (size < this.offset) this.offset = 0;
      if (size <= this.offset) return;
      const len = Math.min(size - this.offset, this.maxBatchBytes);
      const fh = await open(this.path, 'r');
      try {
        const buf = Buffer.alloc(len);
        await fh.read(buf, 0, len, this.offset);
        this.offset += len;
        this.emit(stripTerminal(buf.toString('utf8')));
      } finally {
        await fh.close();
      }
    } catch {
      /* not created yet */
    } finally {
      this.busy = false;
    }
  }
}

/** Removes ANSI escape sequences and carriage returns from captured terminal output. */
export function stripTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]|\u001b\][^\u0007]*\u0007/g, '').replace(/\r/g, '');
}
