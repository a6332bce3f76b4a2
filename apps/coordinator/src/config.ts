import { DEFAULT_PLAN_LIMITS, type PlanLimits } from '@shoal/protocol';

/** Everything the coordinator reads from its environment. */
export interface CoordinatorConfig {
  natsUrl: string;
  namespace: string;
  host: string;
  port: number;
  /** A node whose last heartbeat is older than this is lost and its tasks are re-placed. */
  nodeTtlMs: number;
  /** Live host CPU (%) above which a node takes no new task. */
  hostCpuHighPercent: number;
  /** Base delay of the exponential retry backoff. */
  retryBaseMs: number;
  planLimits: PlanLimits;
  /** Circuit breakers (per node and per agent preset): failures within the window open it for the cool-down. */
  breaker: { failureThreshold: number; windowMs: number; coolDownMs: number };
  /** How often the auto-scaling decision is computed and published. */
  scaleIntervalMs: number;
  /** Fleet bounds of the auto-scaling decision. */
  minNodes: number;
  maxNodes: number;
  /** How often cron schedules are checked. */
  scheduleTickMs: number;
}

/** Reads the configuration; throws with the variable's name when a value is malformed. */
export function loadCoordinatorConfig(env: NodeJS.ProcessEnv = process.env): CoordinatorConfig {
  return {
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    namespace: env.SHOAL_NS ?? 'shoal',
    host: env.HOST ?? '127.0.0.1',
    port: int(env, 'PORT', 8080, 0, 65535),
    nodeTtlMs: int(env, 'SHOAL_NODE_TTL_MS', 10_000, 1000, 3_600_000),
    hostCpuHighPercent: int(env, 'SHOAL_HOST_CPU_HIGH', 60, 1, 100),
    retryBaseMs: int(env, 'SHOAL_RETRY_BASE_MS', 1000, 0, 3_600_000),
    planLimits: {
      ...DEFAULT_PLAN_LIMITS,
      memoryMinMb: int(env, 'SHOAL_MEMORY_MIN_MB', DEFAULT_PLAN_LIMITS.memoryMinMb, 1, 1_048_576),
      memoryMaxMb: int(env, 'SHOAL_MEMORY_MAX_MB', DEFAULT_PLAN_LIMITS.memoryMaxMb, 1, 1_048_576),
    },
    breaker: {
      failureThreshold: int(env, 'SHOAL_BREAKER_FAILURES', 5, 1, 10_000),
      windowMs: int(env, 'SHOAL_BREAKER_WINDOW_MS', 60_000, 1000, 86_400_000),
      coolDownMs: int(env, 'SHOAL_BREAKER_COOLDOWN_MS', 30_000, 100, 86_400_000),
    },
    scaleIntervalMs: int(env, 'SHOAL_SCALE_INTERVAL_MS', 5000, 100, 3_600_000),
    minNodes: int(env, 'SHOAL_MIN_NODES', 1, 0, 100_000),
    maxNodes: int(env, 'SHOAL_MAX_NODES', 100, 1, 100_000),
    scheduleTickMs: int(env, 'SHOAL_SCHEDULE_TICK_MS', 1000, 50, 60_000),
  };
}

/** Reads an integer variable within bounds. */
export function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name}=${raw}: must be an integer from ${min} to ${max}`);
  return n;
}

/** DI token of the configuration. */
export const COORDINATOR_CONFIG = Symbol('CoordinatorConfig');
