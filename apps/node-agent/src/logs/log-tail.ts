import { open } from 'node:fs/promises';

const ESC = 0x1b;
const LF = 0x0a;
/** How far into a tail a clean start is looked for. */
const CLEAN_START_WINDOW = 4096;

/**
 * The last `bytes` of a file (empty if it does not exist). When that is not the whole file, the
 * tail starts at a clean point: the first escape sequence or new line within its first 4 KiB, so
 * it does not begin inside an escape sequence or a UTF-8 character.
 */
export async function readLogEnd(path: string, bytes: number): Promise<Buffer> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, bytes);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      return len < size ? buf.subarray(cleanStart(buf)) : buf;
    } finally {
      await fh.close();
    }
  } catch {
    return Buffer.alloc(0);
  }
}

/** Where a tail cut at an arbitrary byte can start: before the first ESC or after the first LF (else 0). */
export function cleanStart(buf: Uint8Array): number {
  const end = Math.min(buf.length, CLEAN_START_WINDOW);
  for (let i = 0; i < end; i++) {
    if (buf[i] === ESC) return i;
    if (buf[i] === LF) return i + 1;
  }
  return 0;
}
