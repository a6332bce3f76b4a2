import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Heartbeat, NodeState } from '@shoal/protocol';
import type { NodeView } from '@shoal/scheduler';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config.js';

/** What the coordinator knows of one node. */
export interface NodeRecord {
  id: string;
  state: NodeState;
  heartbeat: Heartbeat;
  /** Coordinator clock time of the last heartbeat: liveness never trusts the node's clock. */
  receivedAt: number;
  firstSeenAt: number;
}

/** Budgets currently committed on a node by the tasks placed there. */
export type Committed = Map<string, { cpuPercent: number; memoryMb: number; tasks: number; batches?: readonly string[] }>;

/** Tracks nodes from their heartbeats and judges liveness by arrival time (only while the `LivenessGate` allows it). */
@Injectable()
export class NodeRegistry {
  private readonly log = new Logger('nodes');
  private readonly nodes = new Map<string, NodeRecord>();
  /** The records sorted by id, kept until a node joins or is removed (a heartbeat updates its record in place). */
  private sorted?: NodeRecord[];

  constructor(@Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig) {}

  /** Records a heartbeat; returns true when the node is new or came back. */
  heartbeat(hb: Heartbeat, now: number): boolean {
    const prev = this.nodes.get(hb.nodeId);
    const back = !prev || prev.state === 'lost';
    if (prev) {
      prev.state = 'alive';
      prev.heartbeat = hb;
      prev.receivedAt = now;
    } else {
      this.nodes.set(hb.nodeId, { id: hb.nodeId, state: 'alive', heartbeat: hb, receivedAt: now, firstSeenAt: now });
      this.sorted = undefined;
    }
    if (back) this.log.log(`node ${hb.nodeId} ${prev ? 'is back' : 'joined'} (${hb.hostname}, governor ${hb.governor})`);
    return back;
  }

  /**
   * Re-judges liveness; returns the ids of nodes that just became lost. Silence counts from
   * `judgeFrom` at the earliest (see `LivenessGate`); with `judgeFrom` undefined nobody is
   * judged at all (the coordinator cannot tell a dead node from a dead bus).
   */
  sweep(now: number, judgeFrom: number | undefined): string[] {
    const lost: string[] = [];
    if (judgeFrom === undefined) return lost;
    for (const n of this.nodes.values()) {
      if (n.state === 'lost') continue; // only its own heartbeat brings a lost node back
      const age = now - Math.max(n.receivedAt, judgeFrom);
      const state: NodeState = age > this.config.nodeTtlMs ? 'lost' : age > 2 * n.heartbeat.pulseMs ? 'suspect' : 'alive';
      if (state === n.state) continue;
      if (state === 'lost') {
        lost.push(n.id);
        this.log.warn(`node ${n.id} lost: no heartbeat for ${now - n.receivedAt} ms`);
      }
      n.state = state;
    }
    return lost;
  }

  /** Forgets a node (it was removed from the fleet); true when it was known. */
  remove(id: string): boolean {
    this.sorted = undefined;
    return this.nodes.delete(id);
  }

  /** Every node by id (a new array; the records are live: a heartbeat updates its node's record in place). */
  list(): NodeRecord[] {
    return [...this.byId()];
  }

  private byId(): readonly NodeRecord[] {
    this.sorted ??= [...this.nodes.values()].sort((a, b) => a.id.localeCompare(b.id));
    return this.sorted;
  }

  get(id: string): NodeRecord | undefined {
    return this.nodes.get(id);
  }

  /** Node views for the placer: capacity from heartbeats, commitments from the run table. */
  views(committed: Committed): NodeView[] {
    return this.byId().map((n) => ({
      id: n.id,
      labels: n.heartbeat.labels,
      alive: n.state === 'alive',
      capacity: n.heartbeat.capacity,
      committed: committed.get(n.id) ?? { cpuPercent: 0, memoryMb: 0, tasks: 0 },
      hostCpuPercent: n.heartbeat.host.cpuPercent,
    }));
  }
}
