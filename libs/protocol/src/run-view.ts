import type { PhaseState, RunState, TaskState } from './lifecycle.js';
import type { TaskOutcome } from './messages.js';
import type { AgentStateName, AgentStatus } from './observe.js';

/**
 * What the API returns for a task, and what the coordinator keeps in KV. Nested fields (`tmux`,
 * `lostAttempts`) are replaced when they change, never edited in place: the coordinator's store
 * finds changed tasks by comparing fields by reference.
 */
export interface TaskView {
  id: string;
  phaseId: string;
  team: string;
  role: string;
  state: TaskState;
  attempt: number;
  maxAttempts: number;
  nodeId?: string;
  queuedAt?: number;
  dispatchedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number | null;
  outcome?: TaskOutcome;
  reason?: string;
  /** Why a queued task waits, as of the latest placement round (refreshed at most once a second; kept in the leader's memory, not stored in KV). */
  waitingReason?: string;
  outputTail?: string;
  /** Where the attempt runs in tmux (`tmux -L <socket> attach -t <session>:<window>` on `nodeId`). */
  tmux?: { socket: string; session: string; window: string };
  /** Coordinator time its node was judged lost while `on_node_lost: wait` keeps the attempt. */
  nodeLostAt?: number;
  /** Attempts given up because their node was lost; a late success of one still counts. */
  lostAttempts?: { attempt: number; nodeId: string; startedAt?: number }[];
  /**
   * The running attempt's agent state from its node's latest heartbeat (node clock). Kept in the
   * coordinator's memory and merged into views it answers; not stored in KV.
   */
  agent?: AgentStatus;
}

/** A phase of a run. */
export interface PhaseView {
  id: string;
  state: PhaseState;
  dependsOn: string[];
  startedAt?: number;
  finishedAt?: number;
  reason?: string;
}

/** The whole state of a run. */
export interface RunView {
  id: string;
  plan: string;
  state: RunState;
  submittedAt: number;
  startedAt?: number;
  finishedAt?: number;
  reason?: string;
  traceId?: string;
  /** The `Idempotency-Key` the run was submitted with: a retry with the same key answers this run. */
  idempotencyKey?: string;
  phases: PhaseView[];
  tasks: TaskView[];
}

/** Events the coordinator streams to operators (SSE, `shoal run --follow`). */
export type RunEvent =
  | { type: 'run'; runId: string; state: RunState; reason?: string; at: number }
  | { type: 'phase'; runId: string; phaseId: string; state: PhaseState; reason?: string; at: number }
  | {
      type: 'task';
      runId: string;
      taskId: string;
      phaseId: string;
      state: TaskState;
      attempt: number;
      nodeId?: string;
      exitCode?: number | null;
      reason?: string;
      at: number;
    }
  | { type: 'output'; runId: string; taskId: string; attempt: number; text: string; at: number }
  | { type: 'checkin'; runId: string; taskId: string; attempt: number; seq: number; state: string; verified: boolean; reply: string; at: number }
  /** The agent state of a running attempt changed (`since`: node clock; `at`: coordinator clock). */
  | { type: 'agent'; runId: string; taskId: string; attempt: number; state: AgentStateName; since: number; at: number };
