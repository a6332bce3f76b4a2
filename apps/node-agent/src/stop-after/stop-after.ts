import type { TaskDispatched } from '@shoal/protocol';

/** An attempt as the stop_after decision sees it. */
export interface CutOffCandidate {
  key: string;
  task: Pick<TaskDispatched, 'agent' | 'interactive' | 'onNodeLost' | 'lostAfterMs'>;
  state: string;
}

/** Settings of the decision (`SHOAL_STOP_AFTER_MS`, `SHOAL_STOP_AFTER_INTERACTIVE`). */
export interface StopAfterPolicy {
  /** 0 turns stop_after off. */
  stopAfterMs: number;
  includeInteractive: boolean;
}

/** True for an agent an operator talks to (an agent preset, or `interactive: true`). Pure. */
export function isInteractive(task: Pick<TaskDispatched, 'agent' | 'interactive'>): boolean {
  return task.agent !== undefined || task.interactive === true;
}

/**
 * Which attempts a node cut off from NATS for `downForMs` stops (Nomad's `stop_after`), so a
 * partitioned node does not go on with work the coordinator re-placed. A task dispatched with its
 * `on_node_lost` follows it: `replace` stops after `stopAfterMs`, `wait` only after its
 * `lostAfterMs` (the coordinator keeps the attempt that long after judging the node lost, so the
 * node always gives up first). A task without it (an older coordinator): after `stopAfterMs`,
 * interactive agents only when the policy includes them. `stopAfterMs` 0 turns it off. Pure.
 */
export function stopAfterVictims(downForMs: number, policy: StopAfterPolicy, attempts: readonly CutOffCandidate[]): string[] {
  if (policy.stopAfterMs <= 0) return [];
  return attempts.filter((a) => a.state === 'running' && downForMs > limitOf(a.task, policy)).map((a) => a.key);
}

function limitOf(task: CutOffCandidate['task'], policy: StopAfterPolicy): number {
  if (task.onNodeLost === 'replace') return policy.stopAfterMs;
  if (task.onNodeLost === 'wait') return Math.max(policy.stopAfterMs, task.lostAfterMs ?? 0);
  return policy.includeInteractive || !isInteractive(task) ? policy.stopAfterMs : Infinity;
}

/** The reason an attempt stopped by stop_after is reported with. Pure. */
export function stopAfterReason(downForMs: number): string {
  return `node cut off from the bus for ${Math.round(downForMs / 1000)} s (stop_after)`;
}
