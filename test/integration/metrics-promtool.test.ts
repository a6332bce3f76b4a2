import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { familySamples } from '@shoal/runtime';
import { Disposables, freePort, spawnProcess, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';

/**
 * Issue 10, item 1: both `/metrics` endpoints (coordinator, node-agent) pass `promtool check
 * metrics` (Debian prometheus package) and carry samples of the key families after a plan ran:
 * a real secured cluster from dist/, a two-phase plan with a task long enough to be seen running.
 */
const disposables = new Disposables();
let cluster: TestCluster;
let nodeMetricsUrl: string;
let scratch: string;

beforeAll(async () => {
  const dir = tempDir('shoal-metrics-promtool-');
  disposables.add(() => dir.dispose());
  scratch = dir.path;
  const tmux = tmuxSocket();
  disposables.add(() => tmux.dispose());
  const port = await freePort();
  nodeMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  cluster = await startCluster(
    [{ nodeId: 'node-m', tmuxSocket: tmux.name, dataDir: join(dir.path, 'node-m'), env: { SHOAL_METRICS_PORT: String(port), SHOAL_CPU_BAND: '0-100' } }],
    disposables,
  );
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

/**
 * A two-phase plan; its first task holds 64 MB until the test, having seen it running with its
 * RSS, creates the release file (60 s at most).
 */
const plan = (release: string) => `name: metrics
teams: [{ name: obs }]
phases:
  - id: build
    tasks:
      - { id: compile, team: obs, role: Obs-Build, command: ${JSON.stringify([process.execPath, '-e', HOLD, release])}, resources: { cpu: 5, memory: 256 } }
      - { id: lint, team: obs, role: Obs-Lint, command: ["true"], resources: { cpu: 5, memory: 256 } }
  - id: ship
    depends_on: [build]
    tasks:
      - { id: package, team: obs, role: Obs-Ship, command: ["sh", "-c", "echo shipped"], resources: { cpu: 5, memory: 256 } }
`;

/** `promtool check metrics` over stdin: exit code and everything it printed. */
function promtool(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (b: Buffer) => (output += b.toString()));
    p.stderr.on('data', (b: Buffer) => (output += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, output }));
    p.stdin.end(text);
  });
}

/** Holds 64 MB until the file named by its argument exists (at most 60 s). */
const HOLD = "const b = Buffer.alloc(64 * 1024 * 1024, 1); const t0 = Date.now(); const t = setInterval(() => { if (require('fs').existsSync(process.argv[1]) || Date.now() - t0 > 60000) { clearInterval(t); console.log(b.length); } }, 100);";

const coordinatorText = async () => (await cluster.fetch(`${cluster.api}/metrics`)).text();
const nodeText = async () => {
  const res = await fetch(nodeMetricsUrl, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  return res.text();
};
/** Sum of a family's samples whose labels contain `labels` (e.g. `outcome="succeeded"`). */
const total = (text: string, name: string, labels = '') => familySamples(text, name).filter((s) => s.labels.includes(labels)).reduce((n, s) => n + s.value, 0);

describe('metrics a scraper accepts', () => {
  it('both endpoints pass promtool and show the plan: tasks, durations, dispatch, hand-off, nodes, agents', async () => {
    const release = join(scratch, 'release');
    const { id } = await cluster.submit(plan(release));
    // while the long task runs: its agent is counted and measured on both sides
    await waitFor(
      async () => {
        const [c, n] = [await coordinatorText(), await nodeText()];
        return total(c, 'shoal_agents', 'node="node-m"') >= 1 && total(n, 'shoal_agent_memory_rss_bytes', 'task_kind="obs/Obs-Build/node"') > 0 && total(c, 'shoal_agent_memory_rss_bytes', 'node="node-m"') > 0;
      },
      { timeoutMs: 60_000, what: 'the running agent counted with its RSS on both endpoints' },
    );
    writeFileSync(release, '');
    const run = await cluster.waitForRun(id, 90_000);
    expect(run.state).toBe('succeeded');

    const c = await coordinatorText();
    const n = await nodeText();
    for (const [what, text] of [['coordinator', c], ['node-agent', n]] as const) {
      const check = await promtool(text);
      expect({ what, code: check.code, output: check.output }).toEqual({ what, code: 0, output: '' });
    }

    // coordinator: task families after the plan
    expect(total(c, 'shoal_tasks_started_total', 'task_kind="obs/Obs-Build/node"')).toBe(1);
    expect(total(c, 'shoal_tasks_finished_total', 'outcome="succeeded"')).toBe(3);
    expect(total(c, 'shoal_task_duration_seconds_count', 'outcome="succeeded"')).toBe(3);
    const build = familySamples(c, 'shoal_task_duration_seconds_sum').find((s) => s.labels.includes('task_kind="obs/Obs-Build/node"'));
    expect(build?.value).toBeGreaterThan(0);
    expect(total(c, 'shoal_task_dispatch_latency_seconds_count')).toBe(3);
    expect(total(c, 'shoal_phase_handoff_gap_seconds_count')).toBe(1);
    expect(total(c, 'shoal_nodes', 'state="alive"')).toBe(1);
    expect(total(c, 'shoal_node_memory_usage_bytes', 'node="node-m"')).toBeGreaterThan(0);
    expect(familySamples(c, 'shoal_node_cpu_utilization_ratio')).toHaveLength(1);
    expect(familySamples(c, 'shoal_node_cpu_band_position_ratio')).toHaveLength(1);
    expect(total(c, 'shoal_node_cpu_band_state', 'state="ok"')).toBe(1);
    expect(familySamples(c, 'shoal_node_heartbeat_lag_seconds')).toHaveLength(1);
    expect(total(c, 'shoal_scaling_decisions_total')).toBeGreaterThan(0);
    expect(familySamples(c, 'shoal_breakers')).toHaveLength(4);
    expect(total(c, 'shoal_queue_depth')).toBe(0);
    expect(total(c, 'shoal_leader')).toBe(1);

    // node-agent: this host and what ran on it
    expect(total(n, 'shoal_node_tasks_started_total')).toBe(3);
    expect(total(n, 'shoal_node_tasks_finished_total', 'outcome="succeeded"')).toBe(3);
    expect(total(n, 'shoal_host_memory_usage_bytes')).toBeGreaterThan(0);
    expect(total(n, 'shoal_host_memory_limit_bytes')).toBeGreaterThan(total(n, 'shoal_host_memory_usage_bytes'));
    expect(familySamples(n, 'shoal_host_cpu_utilization_ratio')).toHaveLength(1);
    expect(total(n, 'shoal_governor_info')).toBe(1);
    expect(familySamples(n, 'shoal_band_limit_ratio')).toEqual([{ labels: 'bound="low"', value: 0 }, { labels: 'bound="high"', value: 1 }]);
    expect(familySamples(n, 'shoal_governor_actions_total').map((s) => s.labels).sort()).toEqual(['action="admission-closed"', 'action="admission-opened"', 'action="restore"', 'action="throttle"']);
    expect(total(n, 'shoal_outbox_depth')).toBe(0);
    expect(n).toMatch(/^target_info\{service_name="shoal-node-agent",shoal_node_id="node-m"/m);
  }, 150_000);

  it('the node-agent answers nothing but GET /metrics', async () => {
    expect((await fetch(nodeMetricsUrl.replace('/metrics', '/'))).status).toBe(404);
  });

  it('a node-agent whose metrics port is taken stops at start, saying so, before it joins the bus', async () => {
    const port = new URL(nodeMetricsUrl).port; // node-m holds it
    const p = spawnProcess([process.execPath, join(ROOT, 'apps/node-agent/dist/main.js')], {
      name: 'node-agent port-taken',
      env: { ...process.env, SHOAL_NODE_ID: 'port-taken', SHOAL_METRICS_PORT: port, NATS_URL: 'nats://127.0.0.1:1', SHOAL_DATA_DIR: join(scratch, 'port-taken'), SHOAL_TMUX_SOCKET: `port-taken-${port}` },
    });
    disposables.add(() => p.stop('SIGKILL', 5000));
    const exit = await p.exited;
    expect(exit.code).toBe(1);
    expect(p.stderr.join('\n')).toContain(`EADDRINUSE: address already in use 127.0.0.1:${port}`);
    expect(p.stdout.join('\n')).not.toMatch(/ready: governor/);
  }, 60_000);
});
