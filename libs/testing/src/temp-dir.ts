import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir; `dispose()` removes it recursively. */
export interface TempDir {
  readonly path: string;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Creates a unique temp directory named `<prefix><random>` (default prefix `shoal-test-`). */
export function tempDir(prefix = 'shoal-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const dispose = () => rm(path, { recursive: true, force: true, maxRetries: 3 });
  return { path, dispose, [Symbol.asyncDispose]: dispose };
}

