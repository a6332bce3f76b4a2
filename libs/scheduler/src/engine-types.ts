import type { RunEvent, TaskOutcome } from '@shoal/protocol';

/** What the coordinator must do after a state change; the engine itself does no I/O. */
export type Effect =
  /** Put this attempt of the task in the placement queue. */
  | { kind: 'enqueue'; taskId: string; attempt: number }
  /** Remove the task from the placement queue (it was cancelled or skipped while queued). */
  | { kind: 'dequeue'; taskId: string }
  /** Tell the node to stop this attempt. */
  | { kind: 'stop'; taskId: string; attempt: number; nodeId: string; reason: string }
  /** Call `lostDeadline(taskId, attempt)` after the delay (the `lost_after` bound of `on_node_lost: wait`). */
  | { kind: 'lost-deadline'; taskId: string; attempt: number; delayMs: number }
  /** Call `retryDue(taskId)` after the delay. */
  | { kind: 'retry-after'; taskId: string; attempt: number; delayMs: number }
  /** Tell operators. */
  | { kind: 'event'; event: RunEvent };

/** A node's report that an attempt ended. */
export interface AttemptResult {
  taskId: string;
  attempt: number;
  outcome: TaskOutcome;
  exitCode: number | null;
  reason?: string;
  startedAt?: number;
  finishedAt: number;
  outputTail?: string;
  /** The node that reported it (fences a late result of an attempt lost with its node). */
  nodeId?: string;
}

/** A fresh stored result that stands in for running a queued task. */
export interface CacheHit {
  /** Why it is a hit, e.g. `cache hit: result stored 12 s ago (key 3f2a...)`. */
  reason: string;
  exitCode?: number | null;
  outputTail?: string;
}

/** What an operator may do to a task waiting in `awaiting-operator`. */
export type OperatorAction = 'retry' | 'skip' | 'cancel';

/** Options of the engine: the clock and the backoff before retry N (1-based). */
export interface EngineOptions {
  now: () => number;
  backoffMs?: (failedAttempt: number, taskId: string) => number;
}
