import type { AgentPreset, AgentStateName, StallPolicy, TaskSpec, WaitingPolicy } from '@shoal/protocol';

/** What the node does about an agent's state change. */
export type AgentAction =
  | { kind: 'none' }
  /** Tell the operator once (node log and the task's output); the state itself already reaches heartbeats and run events. */
  | { kind: 'notify'; text: string }
  /** Restart the agent in its window (same attempt). */
  | { kind: 'restart'; reason: string }
  /** End the attempt as failed (its retries apply). */
  | { kind: 'fail'; reason: string }
  /** Send the team's check-in prompt now. */
  | { kind: 'checkin'; reason: string };

/** The policies a task runs under once defaults are applied. */
export interface AgentPolicies {
  onStall: StallPolicy;
  onWaiting: WaitingPolicy;
}

/**
 * Defaults per preset. Offline, every measured CLI looks busy while it retries: codex for ever,
 * the others for ~1 to ~5 min before an error (opencode gives up after ~70 s and 5 attempts;
 * docs/agents.md), so a restart rarely cures a stall and failing would spend an attempt on a
 * network outage: all presets notify by default, and plans opt into `restart` or `fail`.
 * A turn's end is announced by the state change itself: `notify`.
 */
export const AGENT_POLICY_DEFAULTS: Readonly<Record<AgentPreset, AgentPolicies>> = {
  claude: { onStall: 'notify', onWaiting: 'notify' },
  codex: { onStall: 'notify', onWaiting: 'notify' },
  gemini: { onStall: 'notify', onWaiting: 'notify' },
  qwen: { onStall: 'notify', onWaiting: 'notify' },
  opencode: { onStall: 'notify', onWaiting: 'notify' },
  aider: { onStall: 'notify', onWaiting: 'notify' },
  shell: { onStall: 'notify', onWaiting: 'notify' },
};

/** A task's policies: its own, else its preset's defaults (`shell` for a task without a preset). */
export function policiesOf(task: Pick<TaskSpec, 'agent' | 'onStall' | 'onWaiting'>): AgentPolicies {
  const d = AGENT_POLICY_DEFAULTS[task.agent ?? 'shell'];
  return { onStall: task.onStall ?? d.onStall, onWaiting: task.onWaiting ?? d.onWaiting };
}

/** Restarts `on_stall: restart` allows within one attempt before it fails the attempt instead. */
export const MAX_STALL_RESTARTS = 3;
/** Shortest gap between two check-ins sent by `on_waiting: checkin` (their replies end turns too). */
export const MIN_WAITING_CHECKIN_GAP_MS = 60_000;

/** What {@link decideAgentAction} remembers of one attempt between changes. */
export interface PolicyMemo {
  stallRestarts: number;
  lastCheckinAt?: number;
}

/** One state change of one agent. */
export interface AgentStateChange {
  from: AgentStateName;
  to: AgentStateName;
  /** When the agent's screen last changed (stalled: the start of the stall). */
  unchangedSince: number;
  now: number;
}

/**
 * Decides what a state change calls for, under the task's policies. `stalled` applies `on_stall`
 * (a restart at most {@link MAX_STALL_RESTARTS} times per attempt, then a failure). The end of a
 * turn (`working`/`stalled` to `waiting-for-input`, never a menu: text would pick an option) applies
 * `on_waiting`: `checkin` at most once per {@link MIN_WAITING_CHECKIN_GAP_MS}, since the reply to a
 * check-in ends a turn as well. Other changes need nothing. Updates `memo` for the actions it returns.
 */
export function decideAgentAction(policies: AgentPolicies, change: AgentStateChange, memo: PolicyMemo): AgentAction {
  const { from, to, now } = change;
  if (from === to) return { kind: 'none' };
  if (to === 'stalled') {
    const quiet = `no screen change for ${formatMinutes(now - change.unchangedSince)} while working`;
    if (policies.onStall === 'notify') return { kind: 'notify', text: `agent stalled: ${quiet} (on_stall: notify)` };
    if (policies.onStall === 'fail') return { kind: 'fail', reason: `agent stalled: ${quiet} (on_stall: fail)` };
    if (memo.stallRestarts >= MAX_STALL_RESTARTS) return { kind: 'fail', reason: `agent stalled again after ${memo.stallRestarts} restart(s): ${quiet} (on_stall: restart)` };
    memo.stallRestarts += 1;
    return { kind: 'restart', reason: `agent stalled: ${quiet}; restart ${memo.stallRestarts} of ${MAX_STALL_RESTARTS} (on_stall: restart)` };
  }
  if (to === 'waiting-for-input' && (from === 'working' || from === 'stalled')) {
    if (policies.onWaiting === 'notify') return { kind: 'notify', text: 'agent finished its turn and waits for input (on_waiting: notify)' };
    if (memo.lastCheckinAt !== undefined && now - memo.lastCheckinAt < MIN_WAITING_CHECKIN_GAP_MS) return { kind: 'none' };
    memo.lastCheckinAt = now;
    return { kind: 'checkin', reason: 'agent finished its turn (on_waiting: checkin)' };
  }
  return { kind: 'none' };
}

function formatMinutes(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 6_000) / 10} min` : `${Math.round(ms / 1000)} s`;
}
