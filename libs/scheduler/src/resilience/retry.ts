import type { TaskOutcome } from '@shoal/protocol';
import { backoffDelayMs, type BackoffOptions } from './backoff.js';

/** What happened to an attempt, as far as retrying is concerned. */
export interface AttemptFailure {
  /** Queue key or task id; seeds the jitter. */
  key: string;
  /** The attempt that just ended (1-based). */
  attempt: number;
  /** Retries the task allows (the plan's `retries`); attempts allowed = retries + 1. */
  maxRetries: number;
  outcome: TaskOutcome;
  /** False when the failure is known to repeat (e.g. the command does not exist). Default true. */
  retryable?: boolean;
}

/** The decision: retry after a delay, or stop, and why. */
export type RetryDecision =
  | { retry: true; nextAttempt: number; delayMs: number; reason: string }
  | { retry: false; reason: string };

/**
 * Decides whether a finished attempt is retried. Success and cancellation never retry; a node that
 * was lost or rejected the task retries like a failure (the budget of retries bounds all of them).
 */
export function decideRetry(f: AttemptFailure, opts: BackoffOptions = {}): RetryDecision {
  if (f.outcome === 'succeeded') return { retry: false, reason: 'attempt succeeded' };
  if (f.outcome === 'cancelled') return { retry: false, reason: 'attempt was cancelled' };
  if (f.retryable === false) return { retry: false, reason: `attempt ${f.attempt} ${f.outcome} with a non-retryable error` };
  if (f.attempt > f.maxRetries) {
    return { retry: false, reason: `attempt ${f.attempt} ${f.outcome}; no retries left (${f.maxRetries} allowed)` };
  }
  const delayMs = backoffDelayMs(f.attempt, f.key, opts);
  return {
    retry: true,
    nextAttempt: f.attempt + 1,
    delayMs,
    reason: `attempt ${f.attempt} ${f.outcome}; retry ${f.attempt} of ${f.maxRetries} in ${formatMs(delayMs)}`,
  };
}

/** `850 ms`, `12.5 s`, `3.0 min`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
