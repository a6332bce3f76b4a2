import { AGENT_STATES, type Heartbeat, type NodeState } from '@shoal/protocol';
import type { Labels } from '@shoal/runtime';

/** What the fleet gauges read of one node (a `NodeRecord` of the registry fits). */
export interface NodeFacts {
  id: string;
  state: NodeState;
  heartbeat: Heartbeat;
  /** Coordinator time of the last heartbeat. */
  receivedAt: number;
}

/** Labelled samples of one gauge. */
export type Samples = Array<readonly [Labels, number]>;

const MB = 1024 * 1024;
const BAND_STATES = ['below', 'ok', 'above'] as const;
const NODE_STATES: readonly NodeState[] = ['alive', 'suspect', 'lost'];

/** Nodes per liveness state (every state, 0 included). */
export function nodeCounts(nodes: readonly NodeFacts[]): Samples {
  return NODE_STATES.map((state) => [{ state }, nodes.filter((n) => n.state === state).length] as const);
}

/** Host CPU of each node as a 0..1 share. */
export function nodeCpu(nodes: readonly NodeFacts[]): Samples {
  return nodes.map((n) => [{ node: n.id }, n.heartbeat.host.cpuPercent / 100] as const);
}

/** Memory in use and total per node, in bytes. */
export function nodeMemory(nodes: readonly NodeFacts[], which: 'usage' | 'limit'): Samples {
  return nodes.map((n) => [{ node: n.id }, (which === 'usage' ? n.heartbeat.host.memUsedMb : n.heartbeat.host.memTotalMb) * MB] as const);
}

/** Band bounds (0..1) of nodes that run a band. */
export function bandLimits(nodes: readonly NodeFacts[]): Samples {
  return nodes.flatMap((n) => {
    const b = n.heartbeat.band;
    return b ? [[{ node: n.id, bound: 'low' }, b.low / 100] as const, [{ node: n.id, bound: 'high' }, b.high / 100] as const] : [];
  });
}

/**
 * Where host CPU sits in the band: 0 at the low bound, 1 at the high bound, below 0 under the
 * band and above 1 over it. Nodes without a band have no sample.
 */
export function bandPosition(nodes: readonly NodeFacts[]): Samples {
  return nodes.flatMap((n) => {
    const b = n.heartbeat.band;
    return b && b.high > b.low ? [[{ node: n.id }, (n.heartbeat.host.cpuPercent - b.low) / (b.high - b.low)] as const] : [];
  });
}

/** The band state of each node with a band, as a state set (1 for the current state, 0 for the others). */
export function bandState(nodes: readonly NodeFacts[]): Samples {
  return nodes.flatMap((n) => {
    const b = n.heartbeat.band;
    return b ? BAND_STATES.map((state) => [{ node: n.id, state }, b.state === state ? 1 : 0] as const) : [];
  });
}

/** A number per node read from its heartbeat (absent fields count 0). */
export function perNode(nodes: readonly NodeFacts[], read: (hb: Heartbeat) => number): Samples {
  return nodes.map((n) => [{ node: n.id }, read(n.heartbeat)] as const);
}

/** Seconds from each node's heartbeat being sent to it arriving (node clock vs coordinator clock). */
export function heartbeatLag(nodes: readonly NodeFacts[]): Samples {
  return nodes.map((n) => [{ node: n.id }, (n.receivedAt - n.heartbeat.sentAt) / 1000] as const);
}

/** Seconds since each node's last heartbeat arrived. */
export function heartbeatAge(nodes: readonly NodeFacts[], now: number): Samples {
  return nodes.map((n) => [{ node: n.id }, Math.max(0, now - n.receivedAt) / 1000] as const);
}

/**
 * Running agents per node and detected state: every known state appears (0 included) for nodes
 * that are not lost; an entry without a detected state counts as `unknown`.
 */
export function agentStates(nodes: readonly NodeFacts[]): Samples {
  return nodes
    .filter((n) => n.state !== 'lost')
    .flatMap((n) => {
      const counts = new Map<string, number>(AGENT_STATES.map((s) => [s, 0]));
      for (const r of n.heartbeat.running) {
        const s = r.agent?.state ?? 'unknown';
        counts.set(s, (counts.get(s) ?? 0) + 1);
      }
      return [...counts].map(([state, count]) => [{ node: n.id, state }, count] as const);
    });
}

/**
 * Agent CPU (cores) or RSS (bytes) summed per node and task kind; `kindOf` names the kind of a
 * running entry (a task the coordinator does not hold in memory is `unknown`). Lost nodes are left out.
 */
export function agentUsage(nodes: readonly NodeFacts[], which: 'cpu' | 'rss', kindOf: (runId: string, taskId: string) => string | undefined): Samples {
  const sums = new Map<string, { node: string; task_kind: string; value: number }>();
  for (const n of nodes) {
    if (n.state === 'lost') continue;
    for (const r of n.heartbeat.running) {
      const v = which === 'cpu' ? r.cpuPercent : r.rssMb;
      if (v === undefined) continue;
      const task_kind = kindOf(r.runId, r.taskId) ?? 'unknown';
      const key = `${n.id}\u0000${task_kind}`;
      const s = sums.get(key) ?? { node: n.id, task_kind, value: 0 };
      s.value += which === 'cpu' ? v / 100 : v * MB;
      sums.set(key, s);
    }
  }
  return [...sums.values()].map((s) => [{ node: s.node, task_kind: s.task_kind }, s.value] as const);
}

/** Breakers that are not closed, counted per kind and state (0 included). */
export function breakerCounts(boards: { node: Record<string, { state: string }>; preset: Record<string, { state: string }> }): Samples {
  const out: Array<readonly [Labels, number]> = [];
  for (const [kind, board] of Object.entries(boards)) {
    for (const state of ['open', 'half-open']) out.push([{ kind, state }, Object.values(board).filter((b) => b.state === state).length] as const);
  }
  return out;
}
