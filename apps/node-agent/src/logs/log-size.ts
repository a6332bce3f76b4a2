import { statSync } from 'node:fs';

/** Current size of a log file in bytes (0 when it does not exist). */
export function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
