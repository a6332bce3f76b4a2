import type { AttemptBar } from '../run-live.js';
import type { PhaseView } from '../types.js';

/** Rows of the chart: one per node, in order of first use. */
export function ganttRows(bars: AttemptBar[]): string[] {
  return [...new Set(bars.map((b) => b.nodeId))];
}

/** Where a bar goes: its node's row and a lane inside it (attempts overlapping on one node get lanes of their own). */
export interface GanttLayout {
  rows: { nodeId: string; lanes: number }[];
  laneOf: Map<AttemptBar, number>;
}

/** Packs each node's attempts into as few lanes as possible (first lane free at the bar's start). */
export function ganttLayout(bars: AttemptBar[], now: number): GanttLayout {
  const laneOf = new Map<AttemptBar, number>();
  const rows = ganttRows(bars).map((nodeId) => {
    const laneEnds: number[] = [];
    for (const b of bars.filter((x) => x.nodeId === nodeId).sort((x, y) => x.start - y.start)) {
      let lane = laneEnds.findIndex((end) => end <= b.start);
      if (lane < 0) lane = laneEnds.push(0) - 1;
      laneEnds[lane] = b.end ?? now;
      laneOf.set(b, lane);
    }
    return { nodeId, lanes: Math.max(1, laneEnds.length) };
  });
  return { rows, laneOf };
}

/** Tick times (ms) from `from` to `to` at a round step after the start (1 s, 2 s, 5 s, …), at most about `count`. */
export function ticks(from: number, to: number, count = 8): number[] {
  const span = Math.max(1, to - from);
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600].map((s) => s * 1000);
  const step = steps.find((s) => span / s <= count) ?? steps[steps.length - 1]!;
  const out: number[] = [];
  for (let t = from; t <= to; t += step) out.push(t);
  return out;
}

/** Column of each phase: 0 without dependencies, else one more than its deepest dependency. */
export function phaseLayers(phases: Pick<PhaseView, 'id' | 'dependsOn'>[]): Map<string, number> {
  const byId = new Map(phases.map((p) => [p.id, p]));
  const depth = new Map<string, number>();
  const visit = (id: string, path: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (path.has(id)) return 0; // a cycle cannot pass plan validation; guard anyway
    path.add(id);
    const deps = byId.get(id)?.dependsOn.filter((d) => byId.has(d)) ?? [];
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((x) => visit(x, path)));
    path.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const p of phases) visit(p.id, new Set());
  return depth;
}
