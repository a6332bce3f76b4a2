import { ConflictError } from './errors.js';

/** Run lifecycle. `awaiting-operator` pauses the run until an operator retries, skips or cancels. */
export type RunState = 'pending' | 'running' | 'awaiting-operator' | 'succeeded' | 'failed' | 'cancelled';
/** Phase lifecycle: a phase starts when every phase it depends on succeeded. */
export type PhaseState = 'pending' | 'running' | 'awaiting-operator' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
/**
 * Task lifecycle. `queued`: ready, waiting for a node with room; `dispatched`: published to a node;
 * `running`: the node reported the process started; `retry-wait`: failed, next attempt after backoff.
 */
export type TaskState =
  | 'pending'
  | 'queued'
  | 'dispatched'
  | 'running'
  | 'retry-wait'
  | 'awaiting-operator'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';
/** Node liveness as judged by the coordinator from heartbeat arrival times. */
export type NodeState = 'alive' | 'suspect' | 'lost';

type Transitions<S extends string> = Record<S, readonly S[]>;

/** Allowed run transitions. */
export const RUN_TRANSITIONS: Transitions<RunState> = {
  pending: ['running', 'cancelled', 'failed'],
  running: ['awaiting-operator', 'succeeded', 'failed', 'cancelled'],
  'awaiting-operator': ['running', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

/** Allowed phase transitions. */
export const PHASE_TRANSITIONS: Transitions<PhaseState> = {
  pending: ['running', 'skipped', 'cancelled'],
  running: ['awaiting-operator', 'succeeded', 'failed', 'cancelled'],
  'awaiting-operator': ['running', 'succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  skipped: [],
  cancelled: [],
};

/** Allowed task transitions. */
export const TASK_TRANSITIONS: Transitions<TaskState> = {
  pending: ['queued', 'skipped', 'cancelled'],
  queued: ['dispatched', 'succeeded', 'skipped', 'cancelled'],
  dispatched: ['running', 'succeeded', 'failed', 'retry-wait', 'awaiting-operator', 'queued', 'cancelled'],
  running: ['succeeded', 'failed', 'retry-wait', 'awaiting-operator', 'queued', 'cancelled'],
  'retry-wait': ['queued', 'succeeded', 'cancelled', 'skipped'],
  'awaiting-operator': ['queued', 'skipped', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  skipped: [],
  cancelled: [],
};

/** Terminal states of each lifecycle. */
export const TERMINAL_RUN: readonly RunState[] = ['succeeded', 'failed', 'cancelled'];
export const TERMINAL_PHASE: readonly PhaseState[] = ['succeeded', 'failed', 'skipped', 'cancelled'];
export const TERMINAL_TASK: readonly TaskState[] = ['succeeded', 'failed', 'skipped', 'cancelled'];

/** True when `to` may follow `from` in the given table. */
export function canTransition<S extends string>(table: Transitions<S>, from: S, to: S): boolean {
  return table[from].includes(to);
}

/** Throws a ConflictError naming the entity when a transition is not allowed. */
export function assertTransition<S extends string>(table: Transitions<S>, what: string, from: S, to: S): void {
  if (!canTransition(table, from, to)) throw new ConflictError(`${what}: cannot go from ${from} to ${to}`);
}
