import { existsSync, readFileSync } from 'node:fs';
import { hostname, homedir, totalmem, cpus } from 'node:os';
import { join } from 'node:path';
import { toNodeId } from '@shoal/protocol';
import { type BandConfig, DEFAULT_BAND } from './band/index.js';
import { DEFAULT_ROTATION, type RotationPolicy } from './logs/index.js';
import { DEFAULT_AGENT_UIDS, parseUidRange, type UidRange } from './run-as/uid-pool.js';
import { secretEnvOf } from './secrets/index.js';

/** Everything the node-agent reads from its environment. */
export interface NodeAgentConfig {
  natsUrl: string;
  namespace: string;
  nodeId: string;
  /** Heartbeat period: 2-3 s (default 2.5 s). */
  pulseMs: number;
  labels: Record<string, string>;
  /** tmux socket name (`tmux -L <name>`); a private server by default. */
  tmuxSocket: string;
  /** Where per-task logs go. */
  dataDir: string;
  /** The node's secrets store (`SHOAL_SECRETS_DIR`, default `<dataDir>/secrets`): one 0600 file per secret. */
  secretsDir: string;
  /** `SHOAL_SECRET_<NAME>` variables of the node-agent's environment (secrets not in the store's dir). */
  secretEnv: Record<string, string>;
  /** Parent group name of the resource governor. */
  governorPrefix: string;
  /** Forces the portable governor even where cgroups are available. */
  governor: 'auto' | 'fallback' | 'none';
  /** CPU this node offers, in % of one core: cores x 100 x upper band bound. */
  cpuCapacityPercent: number;
  memoryCapacityMb: number;
  maxTasks: number;
  /** Attempts being started at the same time (window, group, report). */
  maxConcurrentStarts: number;
  /** Finished windows kept per team session for operators to read; older ones are closed. */
  keepDeadWindows: number;
  /** Windows started ahead of time, their process waiting in its resource group (0 = off). */
  warmPool: number;
  /** Grace between C-c and a hard kill when stopping a task. */
  stopGraceMs: number;
  /** Overrides every task's check-in interval (`SHOAL_CHECKIN_MS`; tests). */
  checkinMs?: number;
  /** Overrides every preset's stall time (`SHOAL_STALL_MS`; tests, demos). */
  stallMs?: number;
  /** How long an emptied batch session waits for another member before its agent stops (`SHOAL_BATCH_LINGER_MS`, default 3 s). */
  batchLingerMs: number;
  /** Host CPU band (`SHOAL_CPU_BAND=40-60`, or `off`): admission and throttling; undefined when off. */
  band?: BandConfig;
  /** Size-based rotation of task logs (`SHOAL_LOG_MAX_BYTES`, `SHOAL_LOG_KEEP`). */
  logRotation: RotationPolicy;
  /** True when `SHOAL_NODE_ID` was given (it must then match the credentials file). */
  nodeIdExplicit: boolean;
  /** NodeCredentials file (`SHOAL_CREDENTIALS`, default `<dataDir>/credentials.json`). */
  credentialsPath: string;
  /** Coordinator URL to enrol with when no credentials file exists (`SHOAL_JOIN_URL`). */
  joinUrl?: string;
  /** One-time join token (`SHOAL_JOIN_TOKEN`); a secret: never logged. */
  joinToken?: string;
  /** Cut off from NATS longer than this stops own agents (`SHOAL_STOP_AFTER_MS`, default 60 000; 0 = off). */
  stopAfterMs: number;
  /** stop_after also stops interactive agents (`SHOAL_STOP_AFTER_INTERACTIVE=1`). */
  stopAfterInteractive: boolean;
  /** A graceful shutdown leaves agents running for the next incarnation (`SHOAL_KEEP_AGENTS_ON_EXIT=1`). */
  keepAgentsOnExit: boolean;
  /** `SHOAL_RUN_AS`: the user whose group agents run in, each attempt under its own uid; undefined when `off` (the default). */
  runAs?: string;
  /** `SHOAL_AGENT_UIDS` (`<first>-<last>`, default 2000000-2000999): one uid per running attempt when `runAs` is set. */
  agentUids: UidRange;
  /**
   * Prometheus `/metrics` of this node (`SHOAL_METRICS_PORT`, e.g. 9464): off when unset or empty,
   * so that several node-agents on one host never fight over a port; `SHOAL_METRICS_HOST` is the
   * address it binds (default 127.0.0.1: loopback only; `0.0.0.0` for a scraper on another host).
   */
  metrics?: { host: string; port: number };
}

/** Reads the configuration; throws naming the variable when a value is malformed. */
export function loadNodeAgentConfig(env: NodeJS.ProcessEnv = process.env): NodeAgentConfig {
  const nodeIdExplicit = !!env.SHOAL_NODE_ID;
  const hostId = toNodeId(env.SHOAL_NODE_ID || hostname());
  const dataDir = env.SHOAL_DATA_DIR ?? join(homedir(), '.shoal', 'node', hostId);
  const credentialsPath = env.SHOAL_CREDENTIALS || join(dataDir, 'credentials.json');
  // Without SHOAL_NODE_ID, an enrolled node keeps the id it enrolled as.
  const nodeId = nodeIdExplicit ? hostId : (enrolledNodeId(credentialsPath) ?? hostId);
  const bandHigh = num(env, 'SHOAL_CPU_BAND_HIGH', 60, 1, 100);
  const runAs = (env.SHOAL_RUN_AS || 'off').trim();
  return {
    nodeIdExplicit,
    credentialsPath,
    joinUrl: env.SHOAL_JOIN_URL || undefined,
    joinToken: env.SHOAL_JOIN_TOKEN || undefined,
    stopAfterMs: num(env, 'SHOAL_STOP_AFTER_MS', 60_000, 0, 86_400_000),
    stopAfterInteractive: flag(env, 'SHOAL_STOP_AFTER_INTERACTIVE'),
    keepAgentsOnExit: flag(env, 'SHOAL_KEEP_AGENTS_ON_EXIT'),
    runAs: runAs === 'off' ? undefined : runAs,
    agentUids: env.SHOAL_AGENT_UIDS ? parseUidRange(env.SHOAL_AGENT_UIDS) : DEFAULT_AGENT_UIDS,
    metrics: env.SHOAL_METRICS_PORT ? { host: env.SHOAL_METRICS_HOST || '127.0.0.1', port: num(env, 'SHOAL_METRICS_PORT', 9464, 1, 65_535) } : undefined,
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    namespace: env.SHOAL_NS ?? 'shoal',
    nodeId,
    pulseMs: num(env, 'SHOAL_PULSE_MS', 2500, 500, 60_000),
    labels: parseLabels(env.SHOAL_LABELS ?? ''),
    tmuxSocket: env.SHOAL_TMUX_SOCKET ?? `shoal-${nodeId}`,
    dataDir,
    secretsDir: env.SHOAL_SECRETS_DIR || join(dataDir, 'secrets'),
    secretEnv: secretEnvOf(env),
    governorPrefix: env.SHOAL_GOVERNOR_PREFIX ?? defaultGovernorPrefix(nodeId),
    governor: (['auto', 'fallback', 'none'] as const).find((g) => g === (env.SHOAL_GOVERNOR ?? 'auto')) ?? fail('SHOAL_GOVERNOR', 'auto, fallback or none'),
    cpuCapacityPercent: num(env, 'SHOAL_CPU_CAPACITY', Math.round(cpus().length * bandHigh), 1, 100_000),
    memoryCapacityMb: num(env, 'SHOAL_MEMORY_CAPACITY_MB', Math.round((totalmem() / 1024 / 1024) * 0.8), 1, 10_000_000),
    maxTasks: num(env, 'SHOAL_MAX_TASKS', 64, 1, 10_000),
    maxConcurrentStarts: num(env, 'SHOAL_MAX_CONCURRENT_STARTS', 8, 1, 256),
    keepDeadWindows: num(env, 'SHOAL_KEEP_DEAD_WINDOWS', 10, 0, 10_000),
    // A warm window's shell would run as root until its task is known: no warm pool with SHOAL_RUN_AS.
    warmPool: runAs === 'off' ? num(env, 'SHOAL_WARM_POOL', 2, 0, 64) : 0,
    stopGraceMs: num(env, 'SHOAL_STOP_GRACE_MS', 5000, 0, 600_000),
    checkinMs: env.SHOAL_CHECKIN_MS ? num(env, 'SHOAL_CHECKIN_MS', 0, 100, 86_400_000) : undefined,
    stallMs: env.SHOAL_STALL_MS ? num(env, 'SHOAL_STALL_MS', 0, 1000, 86_400_000) : undefined,
    batchLingerMs: num(env, 'SHOAL_BATCH_LINGER_MS', 3000, 0, 3_600_000),
    band: parseBand(env),
    logRotation: { maxBytes: num(env, 'SHOAL_LOG_MAX_BYTES', DEFAULT_ROTATION.maxBytes, 4096, 2 ** 40), keep: num(env, 'SHOAL_LOG_KEEP', DEFAULT_ROTATION.keep, 0, 100) },
  };
}

/** Parses `SHOAL_CPU_BAND` (`<low>-<high>` in % of the host, or `off`) and the band's tuning variables. */
export function parseBand(env: NodeJS.ProcessEnv): BandConfig | undefined {
  const raw = (env.SHOAL_CPU_BAND ?? `${DEFAULT_BAND.low}-${DEFAULT_BAND.high}`).trim();
  if (raw === 'off') return undefined;
  const m = /^(\d{1,3})-(\d{1,3})$/.exec(raw);
  if (!m || Number(m[1]) >= Number(m[2]) || Number(m[2]) > 100) fail('SHOAL_CPU_BAND', '"<low>-<high>" with 0 <= low < high <= 100, or off');
  return {
    low: Number(m[1]),
    high: Number(m[2]),
    sustainSamples: num(env, 'SHOAL_CPU_BAND_SAMPLES', DEFAULT_BAND.sustainSamples, 1, 1000),
    floorPercent: num(env, 'SHOAL_CPU_BAND_FLOOR', DEFAULT_BAND.floorPercent, 1, 100),
  };
}

/**
 * `shoal-<node id>` made a valid group name (lower case, `[a-z0-9-]`, at most 63 characters): two
 * node-agents on one host never clear each other's groups when they start or clean up.
 */
export function defaultGovernorPrefix(nodeId: string): string {
  const slug = nodeId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `shoal-${slug || 'node'}`.slice(0, 63).replace(/-+$/, '');
}

/** Parses `k=v,k2=v2`. */
export function parseLabels(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v = 'true'] = pair.split('=', 2);
    if (!/^[a-z0-9][a-z0-9._/-]{0,62}$/.test(k!) || !/^[A-Za-z0-9._-]{0,63}$/.test(v)) fail('SHOAL_LABELS', 'k=v pairs, keys ^[a-z0-9][a-z0-9._/-]*$');
    out[k!] = v;
  }
  return out;
}

/** The node id recorded in a credentials file, when one exists and names one. */
function enrolledNodeId(path: string): string | undefined {
  try {
    if (!existsSync(path)) return undefined;
    const id = (JSON.parse(readFileSync(path, 'utf8')) as { nodeId?: unknown }).nodeId;
    return typeof id === 'string' && id ? id : undefined;
  } catch {
    return undefined; // reported when the file is read for real
  }
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1' || raw === 'true') return true;
  fail(name, '0 or 1');
}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) fail(name, `an integer from ${min} to ${max}`);
  return n;
}

function fail(name: string, allowed: string): never {
  throw new Error(`${name}=${process.env[name]}: must be ${allowed}`);
}

/** DI token of the configuration. */
export const NODE_AGENT_CONFIG = Symbol('NodeAgentConfig');
