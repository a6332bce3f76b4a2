/**
 * The API shapes the dashboard reads, taken from @shoal/protocol (its HTTP types) as types only:
 * nothing of the protocol's runtime is bundled.
 */
import type { AgentStateName, Heartbeat, RunState, RunView, TaskState, TaskView } from '@shoal/protocol';

export type {
  AgentStateName,
  AgentStatus,
  AnalyticsReport,
  FleetStreamMessage,
  MenuChoice,
  MenuKey,
  NodeRow,
  NodeState,
  PhaseView,
  RunEvent,
  RunState,
  RunStreamMessage,
  RunSummary,
  RunView,
  TaskCaptureReply,
  TaskChooseReply,
  TaskKeysReply,
  TaskLogReply,
  TaskSendReply,
  TaskState,
} from '@shoal/protocol';

/** A task as the API shows it (with the agent state its node detects, when reported). */
export type Task = TaskView;

/** A run as `GET /runs/:id` shows it. */
export type Run = RunView;

/** One entry of a heartbeat's `running` list (with its agent state when the node reports one). */
export type RunningEntry = Heartbeat['running'][number];

/**
 * Agent states that need an operator, first in every list. Mirrors NEEDS_OPERATOR of
 * @shoal/protocol (a value there would pull zod into the page); `satisfies` keeps the names checked.
 */
export const NEEDS_YOU = ['waiting-for-input', 'menu', 'stalled', 'error'] as const satisfies readonly AgentStateName[];

export function needsYou(state: AgentStateName | undefined): boolean {
  return state !== undefined && (NEEDS_YOU as readonly string[]).includes(state);
}

export const TERMINAL_RUN_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled'];
export const TERMINAL_TASK_STATES: readonly TaskState[] = ['succeeded', 'failed', 'skipped', 'cancelled'];
