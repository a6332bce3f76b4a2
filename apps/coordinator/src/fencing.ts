import type { RunView } from '@shoal/protocol';
import { findTask } from '@shoal/scheduler';

/** What fencing reads of a node's message about an attempt (status, output, check-in). */
export interface AttemptReport {
  taskId: string;
  attempt: number;
  nodeId: string;
}

/**
 * Fencing by identity: the node a report (status, output, check-in) on the current attempt must
 * come from. The status
 * subject binds a report's `nodeId` to the NATS identity that published it; a report on an
 * attempt placed on another node is therefore a node speaking for another, and is ignored.
 * Returns the node the attempt was placed on when the report comes from elsewhere, else
 * undefined. Stale attempts are left to the engine (it ignores them anyway); an attempt not yet
 * recorded as placed (queued again after a coordinator restart) has no node to check against.
 */
export function placedElsewhere(run: RunView, s: AttemptReport): string | undefined {
  const t = findTask(run, s.taskId);
  if (!t || t.attempt !== s.attempt || !t.nodeId || t.nodeId === s.nodeId) return undefined;
  return t.nodeId;
}
