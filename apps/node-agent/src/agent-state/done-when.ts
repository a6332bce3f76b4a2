import type { AgentStatus } from '@shoal/protocol';

/** What {@link decideDoneWhenIdle} remembers of one attempt between looks. */
export interface IdleMemo {
  /** When the first prompt was sent (Enter pressed), node clock; undefined until then. */
  promptSentAt?: number;
  /** A look after the prompt saw the agent `working` (or `stalled`). */
  sawWorking: boolean;
}

/** One look at an attempt: what the heartbeats carry, plus when its screen last changed. */
export interface IdleLook {
  /** The agent's state and since when (the pulse's detector, `AgentStates.of`); undefined before the first pulse. */
  status?: AgentStatus;
  /** When the screen last changed, animation ignored (`AgentStates.screenChangedAt`). */
  screenChangedAt?: number;
  now: number;
}

/** The verdict of one look: done with the reason the task ends with, or not yet and why. */
export type IdleDecision = { done: false; why: string } | { done: true; idleForMs: number; reason: string };

/**
 * `done_when: idle`: is the agent back at its prompt after its turn? Done when all hold:
 * - the first prompt was sent (no prompt yet: never);
 * - the agent answered it: a look saw it `working` or `stalled` since after the prompt, or — for a turn
 *   too short for a pulse to classify (the detector needs a stable screen, pulses are seconds
 *   apart) — its state or its screen changed after the prompt was sent;
 * - it is `waiting-for-input` now (a `menu`, an `error`, `unknown`, `working` never count), and
 *   has been for `idleMs` with the screen unchanged, counted from the latest of the state's
 *   `since`, the screen's last change and the prompt.
 * Pure: time comes from the look; updates `memo.sawWorking`.
 */
export function decideDoneWhenIdle(memo: IdleMemo, look: IdleLook, idleMs: number): IdleDecision {
  const sentAt = memo.promptSentAt;
  if (sentAt === undefined) return { done: false, why: 'the first prompt was not sent yet' };
  const status = look.status;
  if (!status) return { done: false, why: 'no agent state observed yet' };
  // a working state older than the prompt is the pulse lagging behind, not this turn
  if ((status.state === 'working' || status.state === 'stalled') && status.since >= sentAt) memo.sawWorking = true;
  if (status.state !== 'waiting-for-input') return { done: false, why: `the agent is ${status.state}` };
  const stateChanged = status.since > sentAt;
  const screenChanged = look.screenChangedAt !== undefined && look.screenChangedAt > sentAt;
  if (!memo.sawWorking && !stateChanged && !screenChanged) return { done: false, why: 'the agent has not answered its prompt yet (no work seen, no change since the prompt)' };
  const idleFrom = Math.max(status.since, look.screenChangedAt ?? 0, sentAt);
  const idleForMs = look.now - idleFrom;
  if (idleForMs < idleMs) return { done: false, why: `at its prompt for ${idleForMs} ms of ${idleMs}` };
  return { done: true, idleForMs, reason: doneReason(idleForMs) };
}

/** The reason a task ended by `done_when: idle` reports. */
export function doneReason(idleForMs: number): string {
  return `done: agent idle at its prompt for ${Math.round(idleForMs / 1000)} s after its turn`;
}
