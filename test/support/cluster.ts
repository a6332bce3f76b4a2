import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Disposables, type SpawnedProcess, freePort, spawnProcess, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import type { RunView } from '@shoal/protocol';
import { type SecureBus, startSecureBus } from './secure-bus.js';

const run = promisify(execFile);
/** Deadline of one API request made by the harness. */
const REQUEST_DEADLINE_MS = 20_000;
/** Repository root (tests run from it). */
export const ROOT = resolve(process.cwd());

/** A coordinator and node-agents started from the built apps against their own secured NATS server. */
export interface TestCluster {
  api: string;
  /** Subject namespace of this cluster. */
  ns: string;
  /** The bus: its server handle, security store and identities. */
  bus: SecureBus;
  /** The control host's admin token (every request of {@link fetch} carries it). */
  token: string;
  coordinator: SpawnedProcess;
  agents: SpawnedProcess[];
  /** Environment of this cluster's coordinator (to start another one against the same bus). */
  coordinatorEnv: Record<string, string>;
  /**
   * Starts one more coordinator on the same bus, on its own port (or `env.PORT`; its SHOAL_PUBLIC_URL is its
   * own address); resolves once it listens. Stopped at disposal.
   */
  startCoordinator(name: string, env?: Record<string, string>): Promise<{ api: string; process: SpawnedProcess }>;
  /** Kills node-agent `i` with SIGKILL and starts it again with the same identity; resolves when ready. */
  restartAgent(i: number): Promise<SpawnedProcess>;
  /** `fetch` with the admin token (or `token`) as bearer. */
  fetch(url: string, init?: RequestInit, token?: string): Promise<Response>;
  /** A NATS connection with the coordinator's identity. */
  connect(): Promise<NatsConnection>;
  submit(planText: string): Promise<RunView>;
  get(runId: string): Promise<RunView>;
  waitForRun(runId: string, timeoutMs?: number): Promise<RunView>;
  tmux(socket: string, args: string[]): Promise<string>;
}

/** Options of a node-agent in a test cluster. */
export interface AgentSpec {
  nodeId: string;
  tmuxSocket: string;
  dataDir: string;
  labels?: string;
  env?: Record<string, string>;
}

/**
 * Starts a secured bus (nats-server with only Shoal identities), the coordinator and the
 * node-agents, each node enrolled with its own key; everything is registered for disposal.
 */
export async function startCluster(agents: AgentSpec[], disposables: Disposables, env: Record<string, string> = {}): Promise<TestCluster> {
  const dir = tempDir('shoal-cluster-');
  disposables.add(() => dir.dispose());
  const bus = await startSecureBus(dir.path, disposables);
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  for (const a of agents) bus.enrolNode(a.nodeId, a.dataDir, api);
  const ns = bus.ns;
  const coordinatorEnv = { ...bus.coordinatorEnv, PORT: String(port), SHOAL_PUBLIC_URL: api, SHOAL_NODE_TTL_MS: '6000', SHOAL_HOST_CPU_HIGH: '100', SHOAL_RETRY_BASE_MS: '200', ...env };
  const coordinator = spawnProcess([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], { name: 'coordinator', env: { ...process.env, ...coordinatorEnv } });
  disposables.add(() => coordinator.stop('SIGTERM', 15_000));
  await coordinator.waitForLine(/listening on/, 60_000);
  const spawnAgent = (a: AgentSpec): SpawnedProcess => {
    const p = spawnProcess([process.execPath, join(ROOT, 'apps/node-agent/dist/main.js')], {
      name: `node-agent ${a.nodeId}`,
      env: {
        ...process.env,
        NATS_URL: bus.nats.url,
        SHOAL_NS: ns,
        ...env,
        SHOAL_NODE_ID: a.nodeId,
        SHOAL_TMUX_SOCKET: a.tmuxSocket,
        SHOAL_DATA_DIR: a.dataDir,
        SHOAL_PULSE_MS: '1000',
        SHOAL_LABELS: a.labels ?? '',
        SHOAL_GOVERNOR_PREFIX: `shoal-test-${ns}-${a.nodeId.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 63),
        SHOAL_CPU_BAND: 'off',
        ...a.env,
      },
    });
    disposables.add(async () => {
      await p.stop('SIGTERM', 20_000);
      await run('tmux', ['-L', a.tmuxSocket, 'kill-server']).catch(() => undefined);
    });
    return p;
  };
  const started = agents.map(spawnAgent);
  for (const p of started) await p.waitForLine(/ready: governor/, 60_000);
  // every request has a deadline (a stream passes its own signal): a stuck request fails, or is
  // retried by a waitFor probe, instead of hanging the test until jest's timeout
  const authorized = (url: string, init: RequestInit = {}, token = bus.adminToken) =>
    fetch(url, { signal: AbortSignal.timeout(REQUEST_DEADLINE_MS), ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } });
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await authorized(`${api}${path}`, init);
    const body = (await res.json()) as T;
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  await waitFor(
    async () => {
      const nodes = await json<{ id: string; state: string }[]>('/nodes');
      return agents.every((a) => nodes.some((n) => n.id === a.nodeId && n.state === 'alive'));
    },
    { timeoutMs: 30_000, what: 'every node-agent registered with the coordinator' },
  );
  const cluster: TestCluster = {
    api,
    ns,
    bus,
    token: bus.adminToken,
    coordinator,
    agents: started,
    coordinatorEnv,
    startCoordinator: async (name, extra = {}) => {
      const p2 = extra.PORT ? Number(extra.PORT) : await freePort();
      const url = `http://127.0.0.1:${p2}`;
      const proc = spawnProcess([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], {
        name,
        env: { ...process.env, ...coordinatorEnv, PORT: String(p2), SHOAL_PUBLIC_URL: url, ...extra },
      });
      disposables.add(() => proc.stop('SIGTERM', 15_000));
      await proc.waitForLine(/listening on/, 60_000);
      return { api: url, process: proc };
    },
    restartAgent: async (i) => {
      await started[i]!.stop('SIGKILL', 5000);
      started[i] = spawnAgent(agents[i]!);
      await started[i]!.waitForLine(/ready: governor/, 60_000);
      return started[i]!;
    },
    fetch: authorized,
    connect: () => bus.connectAsCoordinator(),
    submit: (planText) => json('/runs', { method: 'POST', body: planText, headers: { 'content-type': 'application/yaml' } }),
    get: (runId) => json(`/runs/${runId}`),
    waitForRun: async (runId, timeoutMs = 90_000) => {
      let last: RunView | undefined;
      await waitFor(
        async () => {
          last = await cluster.get(runId);
          return ['succeeded', 'failed', 'cancelled'].includes(last.state);
        },
        { timeoutMs, intervalMs: 100, what: `run ${runId} to finish` },
      );
      return last!;
    },
    tmux: async (socket, args) => (await run('tmux', ['-L', socket, ...args])).stdout,
  };
  return cluster;
}

/** A one-node test cluster with its own temp dir and tmux socket (see {@link startOneNodeCluster}). */
export interface OneNodeCluster {
  cluster: TestCluster;
  /** The test's temp dir (the node's data dir is `<dir>/<nodeId>`). */
  dir: string;
  /** The node's tmux socket name. */
  socket: string;
}

/**
 * The usual single-node setup of an end-to-end test: a temp dir and a private tmux socket (both
 * disposed with `disposables`), a secured bus, the coordinator and one node-agent.
 */
export async function startOneNodeCluster(disposables: Disposables, node: { nodeId: string; env?: Record<string, string> }, clusterEnv: Record<string, string> = {}): Promise<OneNodeCluster> {
  const d = tempDir();
  disposables.add(() => d.dispose());
  const tmux = tmuxSocket();
  disposables.add(() => tmux.dispose());
  const cluster = await startCluster([{ nodeId: node.nodeId, tmuxSocket: tmux.name, dataDir: join(d.path, node.nodeId), env: node.env }], disposables, clusterEnv);
  return { cluster, dir: d.path, socket: tmux.name };
}
