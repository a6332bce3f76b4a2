import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Disposables, type NatsServerHandle, type SpawnedProcess, freePort, spawnProcess, waitFor } from '@shoal/testing';
import type { RunView } from '@shoal/protocol';

const run = promisify(execFile);
/** Repository root (tests run from it). */
export const ROOT = resolve(process.cwd());

/** A coordinator and node-agents started from the built apps against a test NATS server. */
export interface TestCluster {
  api: string;
  /** Subject namespace of this cluster. */
  ns: string;
  coordinator: SpawnedProcess;
  agents: SpawnedProcess[];
  /** Kills node-agent `i` with SIGKILL and starts it again with the same identity; resolves when ready. */
  restartAgent(i: number): Promise<SpawnedProcess>;
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

/** Starts the coordinator and the node-agents; everything is registered for disposal. */
export async function startCluster(
  nats: NatsServerHandle,
  agents: AgentSpec[],
  disposables: Disposables,
  env: Record<string, string> = {},
): Promise<TestCluster> {
  const port = await freePort();
  const ns = `t${Math.random().toString(36).slice(2, 10)}`;
  const base = { ...process.env, NATS_URL: nats.url, SHOAL_NS: ns, ...env };
  const coordinator = spawnProcess([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], {
    name: 'coordinator',
    env: { ...base, PORT: String(port), SHOAL_NODE_TTL_MS: '6000', SHOAL_HOST_CPU_HIGH: '100', SHOAL_RETRY_BASE_MS: '200' },
  });
  disposables.add(() => coordinator.stop('SIGTERM', 15_000));
  await coordinator.waitForLine(/listening on/, 60_000);
  const api = `http://127.0.0.1:${port}`;
  const spawnAgent = (a: AgentSpec): SpawnedProcess => {
    const p = spawnProcess([process.execPath, join(ROOT, 'apps/node-agent/dist/main.js')], {
      name: `node-agent ${a.nodeId}`,
      env: { ...base, SHOAL_NODE_ID: a.nodeId, SHOAL_TMUX_SOCKET: a.tmuxSocket, SHOAL_DATA_DIR: a.dataDir, SHOAL_PULSE_MS: '1000', SHOAL_LABELS: a.labels ?? '', SHOAL_GOVERNOR_PREFIX: `shoal-test-${ns}-${a.nodeId.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 63), SHOAL_CPU_BAND: 'off', ...a.env },
    });
    disposables.add(async () => {
      await p.stop('SIGTERM', 20_000);
      await run('tmux', ['-L', a.tmuxSocket, 'kill-server']).catch(() => undefined);
    });
    return p;
  };
  const started = agents.map(spawnAgent);
  for (const p of started) await p.waitForLine(/ready: governor/, 60_000);
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${api}${path}`, init);
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
    coordinator,
    agents: started,
    restartAgent: async (i) => {
      await started[i]!.stop('SIGKILL', 5000);
      started[i] = spawnAgent(agents[i]!);
      await started[i]!.waitForLine(/ready: governor/, 60_000);
      return started[i]!;
    },
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
