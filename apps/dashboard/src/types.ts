/**
 * The API shapes the dashboard reads, taken from @shoal/protocol as types only (nothing of the
 * protocol's runtime is bundled). Fields being added in parallel (agent state) are read as optional.
 */
import type { AgentStateName, AgentStatus, AnalyticsReport, Heartbeat, NodeState, PhaseView, RunEvent, RunState, RunView, TaskState, TaskView } from '@shoal/protocol';

export type { AgentStateName, AgentStatus, AnalyticsReport, NodeState, PhaseView, RunEvent, RunState, RunView, TaskState };

/** A task as the API shows it, with the agent state a node detects (optional until every node reports it). */
export type Task = TaskView & { agent?: AgentStatus };

/** A run view whose tasks may carry agent states. */
export type Run = Omit<RunView, 'tasks'> & { tasks: Task[] };

/** A row of `GET /runs` (the coordinator's RunSummary). */
export interface RunSummary {
  id: string;
  plan: string;
  state: RunState;
  submittedAt: number;
  finishedAt?: number;
  tasks: number;
}

/** One entry of a heartbeat's `running` list, with its agent state when the node reports one. */
export type RunningEntry = Heartbeat['running'][number] & { agent?: AgentStatus };

/** A row of `GET /nodes`: the registry's judgement and the node's latest heartbeat. */
export type NodeRow = Omit<Heartbeat, 'running'> & { id: string; state: NodeState; lastHeartbeatAt: number; running: RunningEntry[] };

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
