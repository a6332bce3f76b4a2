import { createHash } from 'node:crypto';

/** The governor group name of an attempt key: at most 128 characters (long keys keep a hash suffix). */
export function groupKey(attemptKey: string): string {
  return attemptKey.length <= 128 ? attemptKey : `${attemptKey.slice(0, 100)}.${createHash('sha256').update(attemptKey).digest('hex').slice(0, 16)}`;
}
