import { DEFAULT_PLAN_LIMITS, HTTP_URL, type PlanLimits } from '@shoal/protocol';
import { WORK_DELIVERY } from '@shoal/runtime';

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
  /** Who may talk to the API and the bus (see {@link SecurityConfig}). */
  security: SecurityConfig;
  /** `SHOAL_STATE_WRITE_DEADLINE_MS`: a run write failing transiently is retried this long, then fails loudly. */
  stateWriteDeadlineMs: number;
  /** `SHOAL_NATS_REPLICAS` (1..5): replicas of the streams and KV buckets (3 on a 3-server NATS cluster). */
  natsReplicas: number;
  /** `SHOAL_WORK_ACK_WAIT_MS`: a pulled work message not acked within this is delivered again. */
  workAckWaitMs: number;
  /** `SHOAL_WORK_MAX_DELIVER`: deliveries of a work message before its attempt fails as undeliverable. */
  workMaxDeliver: number;
  /** `SHOAL_CACHE_SWEEP_MS`: how often the leader deletes expired shared-cache entries (docs/cache.md). */
  cacheSweepMs: number;
  /** Autoscaler timings and the actuator that acts on its decisions (docs/scaling.md). */
  scale: ScaleConfig;
}

/** `SHOAL_SCALE_*`: the autoscaler's timings and the actuator (docs/scaling.md). */
export interface ScaleConfig {
  /** `SHOAL_SCALE_UP_WAIT_MS`: scale up once a queued task waited this long. */
  upWaitMs: number;
  /** `SHOAL_SCALE_STABILISE_MS`: quiet this long before scaling down. */
  stabiliseMs: number;
  /** `SHOAL_SCALE_UP_COOLDOWN_MS` / `SHOAL_SCALE_DOWN_COOLDOWN_MS`: no new decision to change for this long after one. */
  upCoolDownMs: number;
  downCoolDownMs: number;
  /** `SHOAL_SCALE_ACTUATOR`: `none` (decide only), `kubernetes` (Deployment replicas) or `command` (an operator's program). */
  actuator: 'none' | 'kubernetes' | 'command';
  /** `SHOAL_SCALE_MIN_REPLICAS` / `SHOAL_SCALE_MAX_REPLICAS`: the actuator never sets a size outside these (default: SHOAL_MIN_NODES / SHOAL_MAX_NODES). */
  minReplicas: number;
  maxReplicas: number;
  /** `SHOAL_SCALE_ACTUATOR_COOLDOWN_MS`: after an applied change, no other change for this long. */
  actuatorCoolDownMs: number;
  /** `SHOAL_SCALE_K8S_NAMESPACE` / `SHOAL_SCALE_K8S_DEPLOYMENT`: the node-agent Deployment whose replicas are set. */
  k8sNamespace: string;
  k8sDeployment: string;
  /**
   * `SHOAL_SCALE_POOL_LABEL` (`key=value`): the nodes the actuator sizes carry this label (e.g.
   * `pool=kubernetes`); live nodes without it (a DaemonSet, fixed hosts) are taken off the count it sets.
   * Unset: every node is in the pool.
   */
  poolLabel?: { key: string; value: string };
  /** `SHOAL_SCALE_COMMAND`: argv as a JSON array of strings (no shell); `{desired}` and `{current}` are replaced. */
  command?: string[];
  /** `SHOAL_SCALE_COMMAND_TIMEOUT_MS`: the command is killed after this. */
  commandTimeoutMs: number;
}

/**
 * Security settings. With `insecure` the API takes no token and NATS is joined anonymously
 * (the single-host development setup of earlier versions); otherwise `dir` holds the store.
 */
export interface SecurityConfig {
  insecure: boolean;
  /** `SHOAL_SECURITY_DIR`: the SecurityStore (coordinator nkey, hashed tokens, enrolled nodes). */
  dir?: string;
  /** `SHOAL_NATS_AUTH_FILE`: the authorization file nats-server includes; rewritten on enrol/removal. */
  natsAuthFile?: string;
  /** `SHOAL_NATS_PID_FILE`: nats-server's pid file; a reload is SIGHUP to that pid. */
  natsPidFile?: string;
  /** `SHOAL_NATS_ADVERTISE`: NATS URLs handed to enrolling nodes (default: NATS_URL). */
  natsAdvertise: string[];
  /** `SHOAL_NATS_CA_FILE`: CA PEM file that verifies a tls:// NATS; handed to nodes too. */
  natsCaFile?: string;
  /** `SHOAL_PUBLIC_URL`: the API as other hosts reach it (join command, allowed Origin). */
  publicUrl?: string;
  /** `SHOAL_TLS_CERT` / `SHOAL_TLS_KEY`: serve the API over HTTPS. */
  tlsCert?: string;
  tlsKey?: string;
}

/**
 * Reads the configuration; throws with the variable's name when a value is malformed, and
 * refuses to run without a security directory unless SHOAL_INSECURE=1 says so explicitly.
 */
export function loadCoordinatorConfig(env: NodeJS.ProcessEnv = process.env): CoordinatorConfig {
  const natsUrl = env.NATS_URL ?? 'nats://127.0.0.1:4222';
  return {
    natsUrl,
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
    security: loadSecurityConfig(env, natsUrl),
    stateWriteDeadlineMs: int(env, 'SHOAL_STATE_WRITE_DEADLINE_MS', 10_000, 100, 600_000),
    natsReplicas: int(env, 'SHOAL_NATS_REPLICAS', 1, 1, 5),
    workAckWaitMs: int(env, 'SHOAL_WORK_ACK_WAIT_MS', WORK_DELIVERY.ackWaitMs, 1000, 3_600_000),
    workMaxDeliver: int(env, 'SHOAL_WORK_MAX_DELIVER', WORK_DELIVERY.maxDeliver, 2, 10_000),
    cacheSweepMs: int(env, 'SHOAL_CACHE_SWEEP_MS', 60_000, 1000, 3_600_000),
    scale: loadScaleConfig(env),
  };
}

/** Reads the `SHOAL_SCALE_*` variables; a command actuator needs SHOAL_SCALE_COMMAND as a JSON array of strings. */
export function loadScaleConfig(env: NodeJS.ProcessEnv): ScaleConfig {
  const actuator = env.SHOAL_SCALE_ACTUATOR || 'none';
  if (actuator !== 'none' && actuator !== 'kubernetes' && actuator !== 'command') throw new Error(`SHOAL_SCALE_ACTUATOR=${actuator}: must be none, kubernetes or command`);
  let command: string[] | undefined;
  if (env.SHOAL_SCALE_COMMAND) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.SHOAL_SCALE_COMMAND);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === 'string')) {
      throw new Error(`SHOAL_SCALE_COMMAND=${env.SHOAL_SCALE_COMMAND}: must be a JSON array of strings (argv, no shell), e.g. ["/usr/local/bin/set-hosts","{desired}"]`);
    }
    command = parsed as string[];
  }
  if (actuator === 'command' && !command) throw new Error('SHOAL_SCALE_ACTUATOR=command needs SHOAL_SCALE_COMMAND (a JSON array of strings)');
  const minReplicas = int(env, 'SHOAL_SCALE_MIN_REPLICAS', int(env, 'SHOAL_MIN_NODES', 1, 0, 100_000), 0, 100_000);
  const maxReplicas = int(env, 'SHOAL_SCALE_MAX_REPLICAS', int(env, 'SHOAL_MAX_NODES', 100, 1, 100_000), 1, 100_000);
  if (minReplicas > maxReplicas) throw new Error(`SHOAL_SCALE_MIN_REPLICAS=${minReplicas} is above SHOAL_SCALE_MAX_REPLICAS=${maxReplicas}`);
  const pool = env.SHOAL_SCALE_POOL_LABEL ? /^([^=\s]+)=([^=\s]*)$/.exec(env.SHOAL_SCALE_POOL_LABEL) : undefined;
  if (env.SHOAL_SCALE_POOL_LABEL && !pool) throw new Error(`SHOAL_SCALE_POOL_LABEL=${env.SHOAL_SCALE_POOL_LABEL}: must be one key=value label`);
  const name = (v: string, fallback: string) => {
    const x = env[v] || fallback;
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(x)) throw new Error(`${v}=${x}: must be a Kubernetes object name`);
    return x;
  };
  return {
    upWaitMs: int(env, 'SHOAL_SCALE_UP_WAIT_MS', 30_000, 0, 86_400_000),
    stabiliseMs: int(env, 'SHOAL_SCALE_STABILISE_MS', 5 * 60_000, 0, 86_400_000),
    upCoolDownMs: int(env, 'SHOAL_SCALE_UP_COOLDOWN_MS', 2 * 60_000, 0, 86_400_000),
    downCoolDownMs: int(env, 'SHOAL_SCALE_DOWN_COOLDOWN_MS', 10 * 60_000, 0, 86_400_000),
    actuator,
    minReplicas,
    maxReplicas,
    actuatorCoolDownMs: int(env, 'SHOAL_SCALE_ACTUATOR_COOLDOWN_MS', 60_000, 0, 86_400_000),
    k8sNamespace: name('SHOAL_SCALE_K8S_NAMESPACE', 'shoal'),
    k8sDeployment: name('SHOAL_SCALE_K8S_DEPLOYMENT', 'node-agent-pool'),
    ...(pool ? { poolLabel: { key: pool[1]!, value: pool[2]! } } : {}),
    command,
    commandTimeoutMs: int(env, 'SHOAL_SCALE_COMMAND_TIMEOUT_MS', 60_000, 100, 3_600_000),
  };
}

/** Reads the security variables of the coordinator's environment. */
export function loadSecurityConfig(env: NodeJS.ProcessEnv, natsUrl: string): SecurityConfig {
  const opt = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const insecureRaw = opt('SHOAL_INSECURE');
  if (insecureRaw !== undefined && insecureRaw !== '0' && insecureRaw !== '1') throw new Error(`SHOAL_INSECURE=${insecureRaw}: must be 1 or 0`);
  const insecure = insecureRaw === '1';
  const dir = opt('SHOAL_SECURITY_DIR');
  if (!dir && !insecure) {
    throw new Error(
      'SHOAL_SECURITY_DIR is not set: the coordinator will not run an open API and bus by accident. ' +
        'Point SHOAL_SECURITY_DIR at the security directory `shoal up` created, or set SHOAL_INSECURE=1 to run without authentication (development only).',
    );
  }
  const tlsCert = opt('SHOAL_TLS_CERT');
  const tlsKey = opt('SHOAL_TLS_KEY');
  if (!tlsCert !== !tlsKey) throw new Error('SHOAL_TLS_CERT and SHOAL_TLS_KEY must be set together');
  const publicUrl = opt('SHOAL_PUBLIC_URL');
  if (publicUrl !== undefined && !HTTP_URL.test(publicUrl)) throw new Error(`SHOAL_PUBLIC_URL=${publicUrl}: must be an http:// or https:// URL`);
  const advertise = (opt('SHOAL_NATS_ADVERTISE') ?? natsUrl).split(',').map((s) => s.trim()).filter(Boolean);
  for (const u of advertise) if (!/^(nats|tls):\/\/\S+$/.test(u)) throw new Error(`SHOAL_NATS_ADVERTISE: ${u} must be a nats:// or tls:// URL`);
  return {
    // both set: the security directory wins (failing safe)
    insecure: !dir,
    dir,
    natsAuthFile: opt('SHOAL_NATS_AUTH_FILE'),
    natsPidFile: opt('SHOAL_NATS_PID_FILE'),
    natsAdvertise: advertise,
    natsCaFile: opt('SHOAL_NATS_CA_FILE'),
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    tlsCert,
    tlsKey,
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
