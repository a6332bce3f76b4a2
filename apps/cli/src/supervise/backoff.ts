/** How a supervisor restarts a child that exited on its own. */
export interface RestartPolicy {
  /** Delay before the first restart; doubled for each further failure within the window. */
  baseMs: number;
  /** Longest delay. */
  maxMs: number;
  /** This many failures within `windowMs` and the supervisor gives up. */
  maxFailures: number;
  windowMs: number;
}

/** 1 s, 2 s, 4 s ... at most 30 s; give up at the 5th failure within 2 minutes. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { baseMs: 1000, maxMs: 30_000, maxFailures: 5, windowMs: 120_000 };

/** What to do about one unexpected exit. */
export type RestartDecision =
  | { action: 'restart'; delayMs: number; recentFailures: number[] }
  | { action: 'give-up'; recentFailures: number[] };

/**
 * Decides about a failure at `now`, given the times of earlier failures: failures older than the
 * window are forgotten; the delay doubles with each recent failure; too many recent failures and
 * the child is given up. Pure: the caller keeps `recentFailures` for the next call.
 */
export function decideRestart(earlierFailures: readonly number[], now: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): RestartDecision {
  const recentFailures = [...earlierFailures.filter((t) => now - t < policy.windowMs), now];
  if (recentFailures.length >= policy.maxFailures) return { action: 'give-up', recentFailures };
  const delayMs = Math.min(policy.maxMs, policy.baseMs * 2 ** (recentFailures.length - 1));
  return { action: 'restart', delayMs, recentFailures };
}

/** `1 s`, `500 ms`, `2 min`: a delay for people. */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 6000) / 10} min`;
}
