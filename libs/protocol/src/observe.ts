import { z } from 'zod';

/**
 * What an agent in a tmux window is doing, as its preset's detector reads the screen.
 * `waiting-for-input` and `menu` (and `stalled`, `error`) are the states that need an operator.
 */
export const AGENT_STATES = ['starting', 'working', 'waiting-for-input', 'menu', 'stalled', 'error', 'done', 'unknown'] as const;
export const AgentStateName = z.enum(AGENT_STATES);
export type AgentStateName = z.infer<typeof AgentStateName>;

/** Agent states an operator should look at first ("needs you"). */
export const NEEDS_OPERATOR: ReadonlySet<AgentStateName> = new Set(['waiting-for-input', 'menu', 'stalled', 'error']);

/** The detected state of one agent and since when (node clock, ms since epoch). */
export const AgentStatus = z.strictObject({
  state: AgentStateName,
  since: z.number().int().nonnegative(),
});
export type AgentStatus = z.infer<typeof AgentStatus>;

const Count = z.number().int().nonnegative();
const Ms = z.number().nonnegative();

/** Completion figures of one task kind (`team/role/program`, as the runtime estimator keys them). */
export const KindStats = z.strictObject({
  kind: z.string(),
  /** Finished attempts of this kind in the window. */
  attempts: Count,
  succeeded: Count,
  failed: Count,
  /** Attempts that were a retry (attempt > 1). */
  retried: Count,
  /** Wall time of succeeded attempts (started → finished). */
  p50Ms: Ms.optional(),
  p95Ms: Ms.optional(),
});
export type KindStats = z.infer<typeof KindStats>;

/** One node's utilisation in one time bucket. */
export const UtilisationPoint = z.strictObject({
  at: z.number().int().nonnegative(),
  cpuPercent: z.number().min(0).max(100),
  memUsedMb: z.number().nonnegative(),
  running: Count,
});
export type UtilisationPoint = z.infer<typeof UtilisationPoint>;

/** What `GET /analytics?since=7d` answers (and `shoal analytics --json` prints). */
export const AnalyticsReport = z.strictObject({
  since: z.number().int().nonnegative(),
  until: z.number().int().nonnegative(),
  runs: z.strictObject({ total: Count, succeeded: Count, failed: Count, cancelled: Count }),
  tasks: z.strictObject({
    attempts: Count,
    succeeded: Count,
    failed: Count,
    /** succeeded / finished tasks (last attempts), 0..1; undefined when none finished. */
    successRate: z.number().min(0).max(1).optional(),
    /** retried attempts / attempts, 0..1. */
    retryRate: z.number().min(0).max(1).optional(),
  }),
  byKind: z.array(KindStats),
  /** Longest phases of the window, longest first. */
  slowestPhases: z.array(
    z.strictObject({ runId: z.string(), plan: z.string(), phaseId: z.string(), durationMs: Ms }),
  ),
  /** Per node, utilisation over time (bucketed). */
  utilisation: z.array(z.strictObject({ nodeId: z.string(), points: z.array(UtilisationPoint) })),
  cache: z.strictObject({ hits: Count, misses: Count, hitRate: z.number().min(0).max(1).optional() }),
  /** Sum of attempt wall times, in hours. */
  agentHours: z.number().nonnegative(),
  /** The history the report was computed from: records read, and records this coordinator dropped or still buffers. */
  history: z.strictObject({ records: Count, dropped: Count, buffered: Count }).optional(),
});
export type AnalyticsReport = z.infer<typeof AnalyticsReport>;
