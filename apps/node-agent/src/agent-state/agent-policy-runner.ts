import { type AgentAction, type AgentStateChange, type PolicyMemo, decideAgentAction, policiesOf } from './agent-policy.js';
import type { WatchedAttempt } from './agent-states.js';

/** What {@link AgentPolicyRunner} acts through (the executor's adapters). */
export interface AgentPolicyActions {
  notify(attempt: WatchedAttempt, text: string): void;
  restart(attempt: WatchedAttempt, reason: string): Promise<void>;
  fail(attempt: WatchedAttempt, reason: string): Promise<void>;
  checkin(attempt: WatchedAttempt, reason: string): Promise<void>;
  warn(message: string): void;
}

/**
 * Applies each task's `on_stall` / `on_waiting` to the agent state changes the pulse observes
 * (see {@link decideAgentAction}); remembers per attempt how often it restarted and when it last
 * sent a check-in. An action that fails is logged, never thrown into the pulse.
 */
export class AgentPolicyRunner {
  private readonly memos = new Map<string, { attempt: number; memo: PolicyMemo }>();

  constructor(private readonly actions: AgentPolicyActions) {}

  /** Handles one change; resolves once the action was carried out. */
  async onChange(a: WatchedAttempt, change: AgentStateChange): Promise<AgentAction> {
    const action = decideAgentAction(policiesOf(a.task), change, this.memoOf(a));
    const where = `${a.key}#${a.task.attempt}`;
    try {
      if (action.kind === 'notify') this.actions.notify(a, action.text);
      else if (action.kind === 'restart') await this.actions.restart(a, action.reason);
      else if (action.kind === 'fail') await this.actions.fail(a, action.reason);
      else if (action.kind === 'checkin') await this.actions.checkin(a, action.reason);
    } catch (e) {
      this.actions.warn(`${where}: ${action.kind} after "${change.to}" failed: ${(e as Error).message}`);
    }
    return action;
  }

  /** Forgets an attempt that ended. */
  forget(key: string): void {
    this.memos.delete(key);
  }

  private memoOf(a: WatchedAttempt): PolicyMemo {
    const m = this.memos.get(a.key);
    if (m && m.attempt === a.task.attempt) return m.memo;
    const memo: PolicyMemo = { stallRestarts: 0 };
    this.memos.set(a.key, { attempt: a.task.attempt, memo });
    return memo;
  }
}
