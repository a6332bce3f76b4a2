import type { TaskDispatched } from '@shoal/protocol';

/** An attempt as the stop_after decision sees it. */
export interface CutOffCandidate {
  key: string;
  task: Pick<TaskDispatched, 'agent' | 'interactive'>;
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
 * Which attempts a node cut off from NATS for `downForMs` stops: none while the cut is shorter
 * than `stopAfterMs` (or stop_after is off); then every running one, interactive agents only when
 * the policy includes them. Pure.
 */
export function stopAfterVictims(downForMs: number, policy: StopAfterPolicy, attempts: readonly CutOffCandidate[]): string[] {
  if (policy.stopAfterMs <= 0 || downForMs <= policy.stopAfterMs) return [];
  return attempts.filter((a) => a.state === 'running' && (policy.includeInteractive || !isInteractive(a.task))).map((a) => a.key);
}

/** The reason an attempt stopped by stop_after is reported with. Pure. */
export function stopAfterReason(downForMs: number): string {
  return `node cut off from the bus for ${Math.round(downForMs / 1000)} s (stop_after)`;
}
