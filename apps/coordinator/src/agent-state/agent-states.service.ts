import { Injectable } from '@nestjs/common';
import { type AgentStatus, type Heartbeat, type RunView, taskKey } from '@shoal/protocol';
import { EventBus } from '../event-bus.js';
import { NodeRegistry } from '../node-registry.js';

interface Entry extends AgentStatus {
  attempt: number;
  nodeId: string;
}

/**
 * The agent state of every running attempt, as the nodes' heartbeats report it. Kept in memory
 * only (a state change would otherwise cost a KV write per agent per pulse): merged into the run
 * views the API answers, and announced as an `agent` run event when it changes.
 */
@Injectable()
export class AgentStates {
  /** By `run/task`. */
  private readonly entries = new Map<string, Entry>();
  /** Keys each node reported in its last heartbeat. */
  private readonly byNode = new Map<string, Set<string>>();

  constructor(
    private readonly bus: EventBus,
    private readonly nodes: NodeRegistry,
  ) {}

  /** Takes one heartbeat's agent states; emits an event for each attempt whose state changed. */
  heartbeat(hb: Pick<Heartbeat, 'nodeId' | 'running'>, now: number): void {
    const seen = new Set<string>();
    for (const r of hb.running) {
      if (!r.agent) continue;
      const key = taskKey(r.runId, r.taskId);
      seen.add(key);
      const prev = this.entries.get(key);
      if (prev && prev.attempt === r.attempt && prev.state === r.agent.state && prev.since === r.agent.since) continue;
      if (prev && prev.attempt > r.attempt) continue; // a stale report of an older attempt
      this.entries.set(key, { ...r.agent, attempt: r.attempt, nodeId: hb.nodeId });
      if (prev?.attempt === r.attempt && prev.state === r.agent.state) continue; // only `since` moved (node restarted)
      this.bus.emit({ type: 'agent', runId: r.runId, taskId: r.taskId, attempt: r.attempt, state: r.agent.state, since: r.agent.since, at: now });
    }
    for (const key of this.byNode.get(hb.nodeId) ?? []) {
      if (!seen.has(key) && this.entries.get(key)?.nodeId === hb.nodeId) this.entries.delete(key);
    }
    this.byNode.set(hb.nodeId, seen);
  }

  /**
   * The state of one attempt, if its node reports one. Nothing while the node is lost (an attempt
   * kept for it by `on_node_lost: wait` has no known state) or after it was removed.
   */
  of(runId: string, taskId: string, attempt: number): AgentStatus | undefined {
    const key = taskKey(runId, taskId);
    const e = this.entries.get(key);
    if (!e || e.attempt !== attempt) return undefined;
    const node = this.nodes.get(e.nodeId);
    if (!node) this.entries.delete(key);
    return node && node.state !== 'lost' ? { state: e.state, since: e.since } : undefined;
  }

  /**
   * A copy of a view with the agent state of each running (or dispatched) task merged in; the
   * view itself (what is stored) is left untouched. Tasks without a reported state are unchanged.
   */
  merge(view: RunView): RunView {
    let changed = false;
    const tasks = view.tasks.map((t) => {
      const agent = t.state === 'running' || t.state === 'dispatched' ? this.of(view.id, t.id, t.attempt) : undefined;
      if (!agent) return t;
      changed = true;
      return { ...t, agent };
    });
    return changed ? { ...view, tasks } : view;
  }
}
