/** What the placer knows about one node, built by the caller from its latest heartbeat. */
export interface NodeView {
  id: string;
  labels: Record<string, string>;
  alive: boolean;
  /** `cpuPercent` is % of ONE core the node offers (cores * 100 * band upper bound). */
  capacity: { cpuPercent: number; memoryMb: number; maxTasks: number };
  /**
   * Sum of the budgets of tasks already placed on the node; `batches`: the batches (`<run>/<batch>`)
   * whose one budget is in it (their further members join without a budget of their own).
   */
  committed: { cpuPercent: number; memoryMb: number; tasks: number; batches?: readonly string[] };
  /** Live host CPU 0-100 from the heartbeat. */
  hostCpuPercent?: number;
  /** Anti-affinity groups of the tasks already running there (see {@link TaskDemand.antiAffinity}). */
  antiAffinityGroups?: string[];
}

/** One queued task asking for room. */
export interface TaskDemand {
  /** Unique queue key, e.g. `<runId>.<taskId>.<attempt>`. */
  key: string;
  runId: string;
  taskId: string;
  team: string;
  role: string;
  cpuPercent: number;
  memoryMb: number;
  priority: number;
  /** Node label selector: every pair must match. */
  requires?: Record<string, string>;
  /** Node anti-affinity: a node carrying any of these pairs is never used. */
  avoid?: Record<string, string>;
  /** Soft affinity: nodes carrying all of these pairs are preferred when they fit. */
  prefers?: Record<string, string>;
  /** Task anti-affinity: at most one task of the group per node. */
  antiAffinity?: string;
  /** Agent preset (e.g. `claude`), for the per-preset circuit breaker. */
  preset?: string;
  /** Tasks sharing a batch key go to the same node while it has room. */
  batch?: string;
  enqueuedAt: number;
  /**
   * Expected run time (learned estimate). Among tasks of equal effective priority enqueued at the
   * same time, the longest expected one is placed first (longest-expected-first). Default 0.
   */
  estimateMs?: number;
}

/** A decision: run this task on this node. */
export interface Placement {
  key: string;
  nodeId: string;
  reason: string;
}

/** A task that stays queued, and why. */
export interface Waiting {
  key: string;
  reason: string;
}

/** The outcome of one placement round. */
export interface PlacementRound {
  placed: Placement[];
  waiting: Waiting[];
}

/**
 * Something that may hold placements back for a key (a node id or an agent preset):
 * implemented by {@link BreakerBoard}.
 */
export interface PlacementGate {
  /** How many new placements the key admits now: `Infinity` when closed, 0 when open, a few when half-open. */
  allowance(key: string): number;
  /** Why the key admits nothing, e.g. `circuit open for node n1 until ... (5 failures in 60 s)`. */
  describe(key: string): string;
  /** Records that a placement was made on the key (uses up a half-open trial). */
  notePlaced(key: string): void;
}

/** Placement strategy: `spread` fills the least used node, `pack` the most used one that fits. */
export type PlacementStrategy = 'spread' | 'pack';

/** Options of the {@link Placer}. */
export interface PlacerOptions {
  now: () => number;
  /** Default `spread`. */
  strategy?: PlacementStrategy;
  /** Live host CPU upper bound; a node above it takes no new task. Default 60. */
  hostCpuHighPercent?: number;
  /** Effective priority = priority + floor(waitedSeconds * aging). Default 0.1 (one level per 10 s). */
  agingPerSecond?: number;
  /** Soft affinity by role ("assign based on agent specialization"): role -> preferred node labels. */
  roleAffinity?: Record<string, Record<string, string>>;
  /** Circuit breakers per node id. */
  nodeBreakers?: PlacementGate;
  /** Circuit breakers per agent preset. */
  presetBreakers?: PlacementGate;
}
