import type { LoadIndex } from './load-index.js';
import type { NodeView, PlacementGate, TaskDemand } from './types.js';

/** Builds a node view for tests and benchmarks: 4 free cores at a 60% band, 8 GB, 8 task slots. */
export function nodeView(id: string, over: Partial<NodeView> = {}): NodeView {
  return {
    id,
    labels: {},
    alive: true,
    capacity: { cpuPercent: 240, memoryMb: 8192, maxTasks: 8 },
    committed: { cpuPercent: 0, memoryMb: 0, tasks: 0 },
    hostCpuPercent: 10,
    ...over,
  };
}

/** Builds a demand for tests and benchmarks: 50% CPU, 512 MB, priority 0, run `r1`. */
export function demand(key: string, over: Partial<TaskDemand> = {}): TaskDemand {
  return {
    key,
    runId: 'r1',
    taskId: key,
    team: 't',
    role: 'dev',
    cpuPercent: 50,
    memoryMb: 512,
    priority: 0,
    enqueuedAt: 0,
    ...over,
  };
}

/** A gate admitting a fixed number of placements per key (Infinity when not listed). */
export function gate(allow: Record<string, number>): PlacementGate {
  return { allowance: (k) => allow[k] ?? Infinity, describe: (k) => `gate ${k}`, notePlaced: () => undefined };
}

/** Members of a load index, least loaded first. */
export function members(idx: LoadIndex): number[] {
  const out: number[] = [];
  idx.find(true, (i) => (out.push(i), false));
  return out;
}
