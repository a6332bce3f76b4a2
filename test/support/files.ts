import { readFileSync } from 'node:fs';

/** The non-empty lines of a file an agent or task writes to; none while the file does not exist yet. */
export function lines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
