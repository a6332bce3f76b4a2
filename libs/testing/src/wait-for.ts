import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from './errors.js';

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Human description of the awaited condition; it appears in the timeout error. */
  what: string;
  /** Give up after this many milliseconds (default 30 000). */
  timeoutMs?: number;
  /** Pause between probes in milliseconds (default 50). */
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns a truthy value and resolves with that value.
 * A probe that throws counts as "not yet". On timeout, rejects with a `TIMEOUT`
 * {@link HarnessError} naming `what` and the last value or error seen.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { what, timeoutMs = 30_000, intervalMs = 50 }: WaitForOptions,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: { kind: 'value'; value: unknown } | { kind: 'error'; error: unknown } | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      last = { kind: 'value', value };
    } catch (error) {
      last = { kind: 'error', error };
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  const seen =
    last === undefined
      ? 'nothing'
      : last.kind === 'value'
        ? `last value ${describe(last.value)}`
        : `last error ${last.error instanceof Error ? `${last.error.name}: ${last.error.message}` : describe(last.error)}`;
  throw new HarnessError('TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what} (${seen})`, {
    cause: last?.kind === 'error' ? last.error : undefined,
    retryable: true,
  });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
