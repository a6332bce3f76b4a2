import { join } from 'node:path';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import type { ScalingReply } from '@shoal/protocol';
import { type TestCluster, startCluster } from '../support/cluster.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';

/**
 * Scaling that acts, end to end: a real coordinator (kubernetes actuator, short timings) and one
 * node-agent on a real NATS, the node-agent Deployment on a fake API server. Work the node cannot
 * take (memory) although it has free task slots makes the decision go up and the replicas follow;
 * once the run is cancelled and the queue drained, the replicas come back down.
 */
const disposables = new Disposables();
let cluster: TestCluster;
let api: FakeKubeApi;
const POOL = 'e2e/node-agent-pool';

const scaling = async (): Promise<ScalingReply> => (await (await cluster.fetch(`${cluster.api}/scaling`)).json()) as ScalingReply;
const patched = () => api.requests.filter((r) => r.method === 'PATCH' && r.status === 200).map((r) => (r.body as { spec: { replicas: number } }).spec.replicas);

beforeAll(async () => {
  const dir = tempDir('shoal-scaling-e2e-');
  disposables.add(() => dir.dispose());
  api = await startFakeKubeApi(dir.path, { [POOL]: 1 });
  disposables.add(() => api.close());
  const tmux = tmuxSocket();
  disposables.add(() => tmux.dispose());
  // 1000 MB for tasks and 64 slots: a second 600 MB task finds a free slot but no memory
  const node = { nodeId: 'node-a', tmuxSocket: tmux.name, dataDir: join(dir.path, 'node-a'), labels: 'pool=kubernetes', env: { SHOAL_MEMORY_CAPACITY_MB: '1000', SHOAL_WARM_POOL: '0' } };
  cluster = await startCluster([node], disposables, {
    SHOAL_SCALE_ACTUATOR: 'kubernetes',
    KUBECONFIG: api.kubeconfig,
    SHOAL_SCALE_K8S_NAMESPACE: 'e2e',
    SHOAL_SCALE_POOL_LABEL: 'pool=kubernetes',
    SHOAL_SCALE_INTERVAL_MS: '250',
    SHOAL_SCALE_UP_WAIT_MS: '1500',
    SHOAL_SCALE_STABILISE_MS: '1000',
    SHOAL_SCALE_UP_COOLDOWN_MS: '1000',
    SHOAL_SCALE_DOWN_COOLDOWN_MS: '1000',
    SHOAL_SCALE_ACTUATOR_COOLDOWN_MS: '1500',
    SHOAL_MIN_NODES: '1',
    SHOAL_MAX_NODES: '3',
  });
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

it('patches the node-agent Deployment up while work no node can take waits, and back down once the queue drained', async () => {
  const task = (id: string, command: string[]) => `      - ${JSON.stringify({ id, team: 'ops', role: `Ops-${id}`, command, resources: { cpu: 5, memory: 600 } })}\n`;
  const run = await cluster.submit(`name: scale-e2e\nteams: [{ name: ops }]\nphases:\n  - id: p\n    tasks:\n${task('first', ['sleep', '600'])}${task('second', ['sleep', '600'])}`);

  // the node takes one task; the other waits for memory (with 63 free slots) past SHOAL_SCALE_UP_WAIT_MS: up to 2 replicas
  await waitFor(() => api.replicas.get(POOL) === 2, { timeoutMs: 60_000, intervalMs: 100, what: 'the scaler to patch the Deployment to 2 replicas' });
  const up = await scaling();
  expect(up.actuator).toMatchObject({ kind: 'kubernetes', target: 2, last: { actuator: 'kubernetes', outcome: 'applied', before: 1, target: 2 } });
  expect(api.requests.find((r) => r.method === 'PATCH')).toMatchObject({ path: '/apis/apps/v1/namespaces/e2e/deployments/node-agent-pool/scale', contentType: 'application/merge-patch+json' });
  const waiting = (await cluster.get(run.id)).tasks.filter((t) => t.state === 'queued');
  expect(waiting).toHaveLength(1);
  expect(waiting[0]!.waitingReason).toMatch(/600 MB free/);

  // the queue drains (the run is cancelled) before a second node came: back to the 1 there is
  const cancel = await cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' });
  expect(cancel.ok).toBe(true);
  await waitFor(() => api.replicas.get(POOL) === 1, { timeoutMs: 60_000, intervalMs: 100, what: 'the scaler to patch the Deployment back to 1 replica' });
  expect(patched()).toEqual([2, 1]);
  const down = await scaling();
  expect(down.actuator).toMatchObject({ target: 1, last: { outcome: 'applied', before: 2, target: 1 } });
  expect(down.decision).toMatchObject({ current: 1, desired: 1 });
  const metrics = await (await cluster.fetch(`${cluster.api}/metrics`)).text();
  const applied = metrics.split('\n').filter((l) => l.startsWith('shoal_scale_actions_total{') && l.includes('actuator="kubernetes"') && l.includes('outcome="applied"'));
  expect(applied.map((l) => l.split(' ').at(-1))).toEqual(['2']);
  expect(metrics).toMatch(/^shoal_scale_target(\{[^}]*\})? 1$/m);
}, 150_000);
