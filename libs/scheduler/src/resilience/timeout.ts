import { formatMs } from './retry.js';

/** An attempt in flight, as the coordinator sees it. */
export interface AttemptClock {
  dispatchedAt: number;
  startedAt?: number;
  /** The task's own timeout (from the plan), counted from its start. */
  timeoutMs?: number;
  /** When a stop was already requested, so the decision can escalate to a kill. */
  stopRequestedAt?: number;
}

/** Timing policy: how long a dispatched task may take to start, and the grace between stop and kill. */
export interface TimeoutPolicy {
  /** Dispatched but no start report after this long: the attempt is treated as lost. Default 60 s. */
  startDeadlineMs?: number;
  /** Stop requested but the attempt is still running after this long: kill it. Default 10 s. */
  killGraceMs?: number;
}

/** What to do about an attempt now, and when to look again. */
export type TimeoutDecision =
  | { action: 'none'; checkAt?: number }
  | { action: 'lost'; reason: string }
  | { action: 'stop'; reason: string; checkAt: number }
  | { action: 'kill'; reason: string };

/** Decides whether an attempt overran its start deadline or its timeout. Pure. */
export function decideTimeout(a: AttemptClock, now: number, policy: TimeoutPolicy = {}): TimeoutDecision {
  const startDeadline = policy.startDeadlineMs ?? 60_000;
  const grace = policy.killGraceMs ?? 10_000;
  if (a.stopRequestedAt !== undefined) {
    const killAt = a.stopRequestedAt + grace;
    if (now >= killAt) return { action: 'kill', reason: `still running ${formatMs(now - a.stopRequestedAt)} after stop was requested` };
    return { action: 'none', checkAt: killAt };
  }
  if (a.startedAt === undefined) {
    const lostAt = a.dispatchedAt + startDeadline;
    if (now >= lostAt) return { action: 'lost', reason: `no start report within ${formatMs(startDeadline)} of dispatch` };
    return { action: 'none', checkAt: lostAt };
  }
  if (a.timeoutMs === undefined) return { action: 'none' };
  const deadline = a.startedAt + a.timeoutMs;
  if (now >= deadline) {
    return { action: 'stop', reason: `timed out: ran ${formatMs(now - a.startedAt)}, limit ${formatMs(a.timeoutMs)}`, checkAt: now + grace };
  }
  return { action: 'none', checkAt: deadline };
}
