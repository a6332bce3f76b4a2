/** Pure reshaping of API answers for the views (kept apart from the components, unit-tested). */
import { type AnalyticsReport, type RunningEntry, needsYou } from './types.js';

/** An agent as the fleet view lists it: a heartbeat's running entry and its node. */
export interface AgentRow extends RunningEntry {
  nodeId: string;
}

/** Agents first that need an operator (waiting for input, menu, stalled, error), then the longest in their state. */
export function orderAgents(rows: AgentRow[]): AgentRow[] {
  return [...rows].sort((a, b) => Number(needsYou(b.agent?.state)) - Number(needsYou(a.agent?.state)) || (a.agent?.since ?? Number.MAX_SAFE_INTEGER) - (b.agent?.since ?? Number.MAX_SAFE_INTEGER));
}

/** Node utilisation series on one shared time axis (points of every node, nulls where a node has none). */
export function utilisationSeries(report: Pick<AnalyticsReport, 'utilisation'>): { times: number[]; perNode: { nodeId: string; cpu: (number | null)[] }[] } {
  const times = [...new Set(report.utilisation.flatMap((n) => n.points.map((p) => p.at)))].sort((a, b) => a - b);
  const perNode = report.utilisation.map((n) => {
    const at = new Map(n.points.map((p) => [p.at, p.cpuPercent]));
    return { nodeId: n.nodeId, cpu: times.map((t) => at.get(t) ?? null) };
  });
  return { times: times.map((t) => t / 1000), perNode };
}
