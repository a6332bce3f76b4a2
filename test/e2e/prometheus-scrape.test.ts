import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, freePort, spawnProcess, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type TestCluster, startCluster } from '../support/cluster.js';

/**
 * Issue 10, item 1: a real Prometheus server (Debian 2.42) scrapes a running cluster — the
 * coordinator's `/metrics` with a read-scoped bearer token, the node-agent's own `/metrics` — and
 * PromQL over its HTTP API returns the series of a plan that ran.
 */
const disposables = new Disposables();
let cluster: TestCluster;
let prometheus: string;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

beforeAll(async () => {
  const dir = tempDir('shoal-prometheus-');
  disposables.add(() => dir.dispose());
  const tmux = tmuxSocket();
  disposables.add(() => tmux.dispose());
  const nodePort = await freePort();
  cluster = await startCluster([{ nodeId: 'node-p', tmuxSocket: tmux.name, dataDir: join(dir.path, 'node-p'), env: { SHOAL_METRICS_PORT: String(nodePort) } }], disposables);

  // a read token, as an operator would give a scraper (`shoal token create --scope read`)
  const minted = await cluster.fetch(`${cluster.api}/tokens`, { method: 'POST', body: JSON.stringify({ scope: 'read', name: 'prometheus' }), headers: { 'content-type': 'application/json' } });
  expect(minted.status).toBe(201);
  const tokenFile = join(dir.path, 'scrape-token');
  writeFileSync(tokenFile, ((await minted.json()) as { token: string }).token, { mode: 0o600 });

  const config = join(dir.path, 'prometheus.yml');
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: shoal-coordinator
    authorization:
      type: Bearer
      credentials_file: ${tokenFile}
    static_configs:
      - targets: ['${new URL(cluster.api).host}']
  - job_name: shoal-node-agent
    static_configs:
      - targets: ['127.0.0.1:${nodePort}']
`,
  );
  const webPort = await freePort();
  prometheus = `http://127.0.0.1:${webPort}`;
  const proc = spawnProcess(['prometheus', `--config.file=${config}`, `--web.listen-address=127.0.0.1:${webPort}`, `--storage.tsdb.path=${join(dir.path, 'tsdb')}`], { name: 'prometheus' });
  disposables.add(() => proc.stop('SIGTERM', 15_000));
  await proc.waitForLine(/Server is ready to receive web requests/, 30_000);
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

/** An instant PromQL query over the HTTP API. */
async function query(promql: string): Promise<Sample[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error ?? res.status}`);
  return body.data!.result;
}

const PLAN = `name: scraped
teams: [{ name: prom }]
phases:
  - id: one
    tasks:
      - { id: a, team: prom, role: Prom-A, command: ["sh", "-c", "echo a"], resources: { cpu: 5, memory: 256 } }
  - id: two
    depends_on: [one]
    tasks:
      - { id: b, team: prom, role: Prom-B, command: ["true"], resources: { cpu: 5, memory: 256 } }
`;

describe('a real Prometheus scraping a cluster', () => {
  it('scrapes both targets and answers PromQL with the plan’s series', async () => {
    await waitFor(async () => (await query('up == 1')).length === 2, { timeoutMs: 60_000, intervalMs: 500, what: 'both targets up in Prometheus' });
    const run = await cluster.waitForRun((await cluster.submit(PLAN)).id, 90_000);
    expect(run.state).toBe('succeeded');

    const finished = await waitFor(
      async () => {
        const r = await query('sum by (job) (shoal_tasks_finished_total{outcome="succeeded"})');
        return r.length === 1 && Number(r[0]!.value[1]) === 2 ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the two finished tasks queryable in Prometheus' },
    );
    expect(finished[0]!.metric).toEqual({ job: 'shoal-coordinator' });

    const durations = await query('shoal_task_duration_seconds_count{task_kind=~"prom/.*"}');
    expect(durations.map((s) => s.metric.task_kind).sort()).toEqual(['prom/Prom-A/sh', 'prom/Prom-B/true']);
    const p95 = await query('histogram_quantile(0.95, sum by (le) (shoal_task_duration_seconds_bucket))');
    expect(Number(p95[0]!.value[1])).toBeGreaterThanOrEqual(0);

    const started = await waitFor(
      async () => {
        const r = await query('shoal_node_tasks_started_total{job="shoal-node-agent"}');
        return r.reduce((n, s) => n + Number(s.value[1]), 0) === 2 ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the node-agent counted both starts in Prometheus' },
    );
    expect(started.every((s) => s.metric.instance?.startsWith('127.0.0.1:'))).toBe(true);
    const memory = await query('shoal_node_memory_usage_bytes{node="node-p"} / shoal_node_memory_limit_bytes{node="node-p"}');
    expect(Number(memory[0]!.value[1])).toBeGreaterThan(0);
    expect(Number(memory[0]!.value[1])).toBeLessThan(1);
    expect(await query('shoal_host_cpu_utilization_ratio{job="shoal-node-agent"}')).toHaveLength(1);
  }, 240_000);
});
