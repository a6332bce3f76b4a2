import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { AnalyticsReport, type RunView } from '@shoal/protocol';
import { percentileOfSorted } from '@shoal/scheduler';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';

const exec = promisify(execFile);
const disposables = new Disposables();
let cluster: TestCluster;
let work: string;
/** The runs of the first test (the log test reads their trace ids). */
const runs: RunView[] = [];

afterAll(() => disposables.disposeAll(), 120_000);

/** `shoal <args>` from the built CLI against this cluster. */
async function shoal(...args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, [join(ROOT, 'apps/cli/dist/main.js'), '--api', cluster.api, ...args], { env: { ...process.env, NO_COLOR: '1', SHOAL_TOKEN: cluster.token } });
  return stdout;
}

/** Fails the first time it runs (per counter file), succeeds after. */
const flaky = (counter: string) => ['sh', '-c', 'n=$(cat "$1" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$1"; [ "$n" -ge 2 ]', 'sh', counter];

const planText = (counter: string) => `name: stats
teams: [{ name: ops }]
phases:
  - id: build
    tasks:
      - { id: quick-a, team: ops, role: quick, command: ["sh", "-c", "sleep 0.2"], resources: { cpu: 5, memory: 256 } }
      - { id: cached, team: ops, role: cacher, command: ["sh", "-c", "echo cached-result"], resources: { cpu: 5, memory: 256 }, cache: { ttl: 1h } }
  - id: check
    depends_on: [build]
    tasks:
      - { id: quick-b, team: ops, role: quick, command: ["sh", "-c", "sleep 0.4"], resources: { cpu: 5, memory: 256 } }
      - { id: flaky, team: ops, role: flaky, command: ${JSON.stringify(flaky(counter))}, retries: 1, resources: { cpu: 5, memory: 256 } }
`;

async function analytics(since = '1h'): Promise<AnalyticsReport> {
  const res = await cluster.fetch(`${cluster.api}/analytics?since=${since}`);
  expect(res.status).toBe(200);
  return AnalyticsReport.parse(await res.json());
}

beforeAll(async () => {
  const dir = tempDir();
  disposables.add(() => dir.dispose());
  work = dir.path;
  const socket = tmuxSocket();
  cluster = await startCluster([{ nodeId: 'stats-node', tmuxSocket: socket.name, dataDir: join(work, 'node') }], disposables, { SHOAL_HISTORY_SAMPLE_MS: '1000' });
}, 180_000);

describe('historical analytics', () => {
  it('GET /analytics and `shoal analytics --json` show the finished runs and the p50 per task kind', async () => {
    for (const counter of ['c1', 'c2']) {
      const run = await cluster.submit(planText(join(work, counter)));
      runs.push(await cluster.waitForRun(run.id, 90_000));
    }
    expect(runs.map((r) => r.state)).toEqual(['succeeded', 'succeeded']);

    // the history is written in the background: wait until both runs and all their attempts are in
    const report = await waitFor(
      async () => {
        const r = await analytics();
        return r.runs.total >= 2 && r.tasks.attempts >= 9 && r.utilisation.length > 0 ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, what: 'both runs in the analytics' },
    );
    expect(report.runs).toEqual({ total: 2, succeeded: 2, failed: 0, cancelled: 0 });
    // 4 tasks per run; flaky ran twice each time: 10 attempts; the second run's cached task did not run
    expect(report.tasks).toMatchObject({ attempts: 10, succeeded: 8, failed: 0, successRate: 1, retryRate: 0.2 });
    expect(report.cache).toEqual({ hits: 1, misses: 1, hitRate: 0.5 });

    const walls = runs.flatMap((r) => r.tasks.filter((t) => t.role === 'quick').map((t) => t.finishedAt! - t.startedAt!)).sort((a, b) => a - b);
    const quick = report.byKind.find((k) => k.kind === 'ops/quick/sh');
    expect(quick).toEqual({ kind: 'ops/quick/sh', attempts: 4, succeeded: 4, failed: 0, retried: 0, p50Ms: percentileOfSorted(walls, 50), p95Ms: percentileOfSorted(walls, 95) });
    expect(report.byKind.find((k) => k.kind === 'ops/flaky/sh')).toMatchObject({ attempts: 4, succeeded: 2, failed: 2, retried: 2 });
    expect(report.slowestPhases.map((p) => p.runId).sort()).toEqual([...runs.map((r) => r.id), ...runs.map((r) => r.id)].sort());
    expect(report.utilisation[0]!.nodeId).toBe('stats-node');
    expect(report.agentHours).toBeGreaterThan(0);

    const cli = AnalyticsReport.parse(JSON.parse(await shoal('analytics', '--since', '1h', '--json')));
    expect(cli.runs).toEqual(report.runs);
    expect(cli.byKind.find((k) => k.kind === 'ops/quick/sh')?.p50Ms).toBe(quick!.p50Ms);

    const text = await shoal('analytics', '--since', '1h');
    expect(text).toContain('runs: 2 (2 succeeded, 0 failed, 0 cancelled)');
    expect(text).toMatch(/ops\/quick\/sh\s+4\s+4\s+0\s+0\s+\d/);
    expect(text).toContain('hit rate 50.0%');
  }, 180_000);

  it('a malformed `since` is a 400 naming the field and the allowed form', async () => {
    const res = await cluster.fetch(`${cluster.api}/analytics?since=yesterday`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues?: { path: string; message: string }[] };
    expect(body.issues?.[0]?.path).toBe('since');
    expect(body.issues?.[0]?.message).toMatch(/7d, 12h, 30m or 90s/);
  });

  it('a log line of a task carries the trace id of its run, and its run and task (JSON lines of pino)', () => {
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
      const started = cluster.agents[0]!.stdout
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => typeof l.msg === 'string' && l.msg.includes(`${run.id}`) && l.msg.includes('quick-a') && l.msg.includes('started in'));
      expect(started).toMatchObject({ level: 'info', service: 'shoal-node-agent', nodeId: 'stats-node', trace_id: run.traceId, runId: run.id, taskId: 'quick-a', attempt: 1 });
    }
    // the coordinator answered the second run's cached task from the cache: that line carries the run's trace id
    const coordinatorLines = cluster.coordinator.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const hit = coordinatorLines.find((l) => String(l.msg).startsWith(`${runs[1]!.id}/cached:`));
    expect(hit).toMatchObject({ service: 'shoal-coordinator', context: 'orchestrator', trace_id: runs[1]!.traceId, runId: runs[1]!.id });
    const ready = cluster.coordinator.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ready.find((l) => String(l.msg).startsWith('ready ('))).toMatchObject({ level: 'info', service: 'shoal-coordinator', context: 'coordinator' });
  });
});
