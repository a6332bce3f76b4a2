import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, spawnProcess, startNats, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type RunView, type ScaleDecided, type TaskView, decode } from '@shoal/protocol';
import { loadCoordinatorConfig } from '../../apps/coordinator/src/config.js';
import { Metrics } from '../../apps/coordinator/src/metrics.js';
import { NatsGateway } from '../../apps/coordinator/src/nats.gateway.js';
import { SecurityContext } from '../../apps/coordinator/src/security/security-context.js';
import type { RunsService } from '../../apps/coordinator/src/runs.service.js';
import { PlanIntake } from '../../apps/coordinator/src/plan-intake/plan-intake.service.js';
import { SchedulesService } from '../../apps/coordinator/src/schedules.service.js';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';

const exec = promisify(execFile);
const disposables = new Disposables();
const RETRY_BASE_MS = 200; // what startCluster gives the coordinator (SHOAL_RETRY_BASE_MS)
let cluster: TestCluster;
let work: string;
const dataDirs: string[] = [];

const task = (run: RunView, id: string): TaskView => {
  const t = run.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id} in ${run.id}`);
  return t;
};

/** `shoal <args>` from the built CLI against this cluster. */
async function shoal(...args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, [join(ROOT, 'apps/cli/dist/main.js'), '--api', cluster.api, ...args], { env: { ...process.env, NO_COLOR: '1', SHOAL_TOKEN: cluster.token } });
  return stdout;
}

/** A shell script (passed as argv, never built from a string) that fails until its counter file reaches `okAt`, logging start/end times in ms. */
function flaky(counter: string, okAt: number): string[] {
  const script = `start=$(date +%s%3N); n=$(cat "$1" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$1"; echo "attempt $n"; echo "$n $start $(date +%s%3N)" >> "$1.times"; [ "$n" -ge ${okAt} ]`;
  return ['sh', '-c', script, 'sh', counter];
}

const taskYaml = (t: Record<string, unknown>) => `      - ${JSON.stringify({ resources: { cpu: 5, memory: 256 }, ...t })}\n`;
const plan = (name: string, phases: { id: string; policy?: string; deps?: string[]; tasks: Record<string, unknown>[] }[]) =>
  `name: ${name}\nteams: [{ name: ops }]\nphases:\n` +
  phases
    .map((p) => `  - id: ${p.id}\n${p.policy ? `    failure_policy: ${p.policy}\n` : ''}${p.deps ? `    depends_on: ${JSON.stringify(p.deps)}\n` : ''}    tasks:\n${p.tasks.map(taskYaml).join('')}`)
    .join('');

const waitState = (runId: string, state: RunView['state'], what: string) =>
  waitFor(
    async () => {
      const r = await cluster.get(runId);
      return r.state === state ? r : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, what },
  );

beforeAll(async () => {
  const dir = tempDir();
  disposables.add(() => dir.dispose());
  work = dir.path;
  const agents = ['claude', 'codex'].map((agent) => {
    const tmux = tmuxSocket();
    disposables.add(() => tmux.dispose());
    const dataDir = join(dir.path, `node-${agent}`);
    dataDirs.push(dataDir);
    // the node's own CPU band would hold tasks back on this busy shared box: placement is under test here
    return { nodeId: `node-${agent}`, tmuxSocket: tmux.name, dataDir, labels: `agent=${agent}`, env: { SHOAL_CPU_BAND: 'off' } };
  });
  cluster = await startCluster(agents, disposables, { SHOAL_BREAKER_FAILURES: '50', SHOAL_SCALE_INTERVAL_MS: '500', SHOAL_SCHEDULE_TICK_MS: '200' });
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

describe('placement by labels', () => {
  it('puts tasks requiring agent=codex on the codex node and agent=claude on the claude node', async () => {
    const text = plan('labels', [
      {
        id: 'p',
        tasks: [
          { id: 'to-codex', team: 'ops', role: 'Ops-Codex', command: ['true'], requires: { agent: 'codex' } },
          { id: 'to-claude', team: 'ops', role: 'Ops-Claude', command: ['true'], requires: { agent: 'claude' } },
          { id: 'to-codex-2', team: 'ops', role: 'Ops-Codex2', command: ['true'], requires: { agent: 'codex' } },
        ],
      },
    ]);
    const run = await cluster.waitForRun((await cluster.submit(text)).id);
    expect(run.state).toBe('succeeded');
    expect(task(run, 'to-codex').nodeId).toBe('node-codex');
    expect(task(run, 'to-codex-2').nodeId).toBe('node-codex');
    expect(task(run, 'to-claude').nodeId).toBe('node-claude');
  }, 60_000);

  it('keeps a task requiring a label no node has queued with the reason, in the API and in `shoal status`, until cancelled', async () => {
    const text = plan('nowhere', [{ id: 'p', tasks: [{ id: 'gem', team: 'ops', role: 'Ops-Gem', command: ['true'], requires: { agent: 'gemini' } }] }]);
    const { id } = await cluster.submit(text);
    const waiting = await waitFor(
      async () => {
        const t = task(await cluster.get(id), 'gem');
        return t.waitingReason ? t : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'a waiting reason on the gemini task' },
    );
    expect(waiting.state).toBe('queued');
    expect(waiting.waitingReason).toBe('no node with label agent=gemini');
    expect(await shoal('status', id)).toContain('waiting: no node with label agent=gemini');
    const scaling = (await (await cluster.fetch(`${cluster.api}/scaling`)).json()) as { queue: { depth: number } };
    expect(scaling.queue.depth).toBeGreaterThanOrEqual(1);
    const res = await cluster.fetch(`${cluster.api}/runs/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBeLessThan(300);
    const run = await cluster.waitForRun(id);
    expect(run.state).toBe('cancelled');
    expect(task(run, 'gem').startedAt).toBeUndefined();
  }, 60_000);
});

describe('retries with backoff', () => {
  it('retries a task that fails twice: attempts 1, 2, 3, each retry at least the base delay after the failure', async () => {
    const counter = join(work, 'retry-counter');
    const text = plan('retrying', [{ id: 'p', tasks: [{ id: 'flaky', team: 'ops', role: 'Ops-Flaky', command: flaky(counter, 3), retries: 2 }] }]);
    const run = await cluster.waitForRun((await cluster.submit(text)).id);
    expect(run.state).toBe('succeeded');
    expect(task(run, 'flaky')).toMatchObject({ state: 'succeeded', attempt: 3, maxAttempts: 3, exitCode: 0 });
    expect(task(run, 'flaky').outputTail).toContain('attempt 3');
    const times = readFileSync(`${counter}.times`, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number) as [number, number, number]);
    expect(times.map((t) => t[0])).toEqual([1, 2, 3]);
    for (let i = 1; i < times.length; i++) expect(times[i]![1] - times[i - 1]![2]).toBeGreaterThanOrEqual(RETRY_BASE_MS);
  }, 60_000);
});

describe('manual failure policy', () => {
  it('pauses the run in awaiting-operator; `shoal retry` re-runs the task and the run completes', async () => {
    const counter = join(work, 'manual-counter');
    const text = plan('manual-retry', [
      { id: 'fix', policy: 'manual', tasks: [{ id: 'flaky', team: 'ops', role: 'Ops-Manual', command: flaky(counter, 2) }] },
      { id: 'after', deps: ['fix'], tasks: [{ id: 'next', team: 'ops', role: 'Ops-Next', command: ['true'] }] },
    ]);
    const { id } = await cluster.submit(text);
    const paused = await waitState(id, 'awaiting-operator', 'the run to await an operator');
    expect(task(paused, 'flaky')).toMatchObject({ state: 'awaiting-operator', attempt: 1 });
    expect(task(paused, 'next').state).toBe('pending');
    expect(await shoal('retry', id, 'flaky')).toContain('retry');
    const run = await cluster.waitForRun(id);
    expect(run.state).toBe('succeeded');
    expect(task(run, 'flaky')).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect(task(run, 'next').state).toBe('succeeded');
  }, 60_000);

  it('`shoal skip` lets the paused run go on without the task', async () => {
    const text = plan('manual-skip', [
      { id: 'fix', policy: 'manual', tasks: [{ id: 'broken', team: 'ops', role: 'Ops-Broken', command: ['false'] }] },
      { id: 'after', deps: ['fix'], tasks: [{ id: 'next', team: 'ops', role: 'Ops-Next', command: ['true'] }] },
    ]);
    const { id } = await cluster.submit(text);
    await waitState(id, 'awaiting-operator', 'the run to await an operator');
    expect(await shoal('skip', id, 'broken')).toContain('skip');
    const run = await cluster.waitForRun(id);
    expect(run.state).toBe('succeeded');
    expect(task(run, 'broken').state).toBe('skipped');
    expect(task(run, 'next').state).toBe('succeeded');
  }, 60_000);
});

describe('result cache', () => {
  it('answers the second run of a cached task from the cache without starting a process', async () => {
    const input = `input-${Math.random().toString(36).slice(2)}`;
    const text = plan('cached', [
      { id: 'p', tasks: [{ id: 'compute', team: 'ops', role: 'Ops-Compute', command: ['sh', '-c', 'echo "computed $$"'], cache: { inputs: [input], ttl: '10m' } }] },
    ]);
    const first = await cluster.waitForRun((await cluster.submit(text)).id);
    expect(first.state).toBe('succeeded');
    const ran = task(first, 'compute');
    expect(ran.startedAt).toEqual(expect.any(Number));
    expect(ran.outputTail).toMatch(/computed \d+/);

    const second = await cluster.waitForRun((await cluster.submit(text)).id);
    expect(second.state).toBe('succeeded');
    const hit = task(second, 'compute');
    expect(hit.reason).toMatch(/^cache hit/);
    expect(hit.startedAt).toBeUndefined();
    expect(hit.nodeId).toBeUndefined();
    expect(hit.outputTail).toBe(ran.outputTail);
    const logs = dataDirs.flatMap((d) => (existsSync(join(d, 'logs')) ? readdirSync(join(d, 'logs')) : []));
    expect(logs.some((f) => f.startsWith(`${first.id}.compute.`))).toBe(true);
    expect(logs.some((f) => f.startsWith(`${second.id}.`))).toBe(false);
  }, 60_000);
});

describe('auto-scaling decision', () => {
  it('publishes decisions on <ns>.scale and exposes shoal_desired_nodes and queue gauges', async () => {
    const nc = await cluster.connect();
    try {
      const sub = nc.subscribe(`${cluster.ns}.scale`, { max: 1 });
      let decided: ScaleDecided | undefined;
      for await (const m of sub) {
        const d = decode('scale', m.data);
        if (!d.ok) throw d.error;
        decided = d.value;
      }
      expect(decided).toMatchObject({ kind: 'scale.decided', current: 2, desired: expect.any(Number) });
      expect(decided!.reasons.length).toBeGreaterThan(0);
    } finally {
      await nc.close();
    }
    const metrics = await (await cluster.fetch(`${cluster.api}/metrics`)).text();
    expect(metrics).toMatch(/^shoal_desired_nodes \d+$/m);
    expect(metrics).toMatch(/^shoal_queue_depth \d+$/m);
    expect(metrics).toMatch(/^shoal_queue_oldest_wait_seconds [\d.]+$/m);
    const scaling = (await (await cluster.fetch(`${cluster.api}/scaling`)).json()) as { decision: ScaleDecided };
    expect(scaling.decision.current).toBe(2);
    const estimates = (await (await cluster.fetch(`${cluster.api}/estimates`)).json()) as Record<string, { ewmaMs: number; samples: number }>;
    expect(estimates['ops/Ops-Codex/true']).toMatchObject({ samples: 1, ewmaMs: expect.any(Number) });
    expect(estimates['ops/Ops-Flaky/sh']).toMatchObject({ samples: 1 });
  }, 120_000);
});

describe('cron schedules', () => {
  it('fires a registered schedule every second, lists and deletes it', async () => {
    const text = `${plan('every-second', [{ id: 'p', tasks: [{ id: 'tick', team: 'ops', role: 'Ops-Tick', command: ['true'] }] }])}schedule: "* * * * * *"\n`;
    const res = await cluster.fetch(`${cluster.api}/schedules`, { method: 'POST', body: text, headers: { 'content-type': 'application/yaml' } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: 'every-second', expression: '* * * * * *', nextAt: expect.any(Number) });
    const fired = await waitFor(
      async () => {
        const list = (await (await cluster.fetch(`${cluster.api}/schedules`)).json()) as { name: string; runs: string[] }[];
        const s = list.find((x) => x.name === 'every-second');
        return s && s.runs.length >= 2 ? s : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'two runs fired by the schedule' },
    );
    const del = await cluster.fetch(`${cluster.api}/schedules/every-second`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(new Set(fired.runs).size).toBe(fired.runs.length);
    for (const id of fired.runs) expect((await cluster.waitForRun(id, 60_000)).state).toBe('succeeded');
    expect((await cluster.fetch(`${cluster.api}/schedules/every-second`, { method: 'DELETE' })).status).toBe(404);
    const bad = await cluster.fetch(`${cluster.api}/schedules`, { method: 'POST', body: text.replace('* * * * * *', 'not a cron'), headers: { 'content-type': 'application/yaml' } });
    expect(bad.status).toBe(400);
  }, 240_000);
});

describe('cron fire claims on real JetStream KV', () => {
  it('two coordinators checking at the same moment fire a due time once, and a restarted one never again', async () => {
    // the claims are about KV, not security: a plain bus of its own, the coordinator's gateway in insecure mode
    const plain = await startNats();
    disposables.add(() => plain.stop());
    const config = { ...loadCoordinatorConfig({ NATS_URL: plain.url, SHOAL_NS: `${cluster.ns}x`, SHOAL_INSECURE: '1' }) };
    const gateways: NatsGateway[] = [];
    const started: string[] = [];
    const runs = { submit: async () => ({ view: { id: `fired-${started.push('x')}` }, replayed: false }) } as unknown as RunsService;
    const service = async () => {
      const gw = new NatsGateway(config, new Metrics(), SecurityContext.open(config.security));
      gateways.push(gw);
      await gw.start();
      return new SchedulesService(config, gw, runs, new PlanIntake(config, new Metrics()));
    };
    try {
      const [a, b] = [await service(), await service()];
      const text = `${plan('claimed', [{ id: 'p', tasks: [{ id: 't', team: 'ops', role: 'Ops-T', command: ['true'] }] }])}schedule: "*/10 * * * * *"\n`;
      const registered = await a.register(text);
      const due = registered.nextAt! + 100;
      await Promise.all([a.tick(due), b.tick(due), a.tick(due + 1), b.tick(due + 2)]);
      expect(started).toHaveLength(1);
      const restarted = await service();
      await restarted.tick(due + 500);
      expect(started).toHaveLength(1);
      await Promise.all([restarted.tick(due + 10_000), b.tick(due + 10_000)]);
      expect(started).toHaveLength(2);
      expect((await restarted.list())[0]).toMatchObject({ name: 'claimed', lastFiredAt: registered.nextAt! + 10_000, runs: ['fired-1', 'fired-2'] });
    } finally {
      for (const gw of gateways) await gw.onModuleDestroy();
    }
  }, 120_000);
});

describe('coordinator restart', () => {
  it('a run survives kill -9 of the coordinator mid-task: a new coordinator resumes it from KV and it completes', async () => {
    const marker = join(work, 'long-started');
    const text = plan('survivor', [
      { id: 'long', tasks: [{ id: 'slow', team: 'ops', role: 'Ops-Slow', command: ['sh', '-c', 'touch "$1"; sleep 3; echo slow done', 'sh', marker] }] },
      { id: 'then', deps: ['long'], tasks: [{ id: 'quick', team: 'ops', role: 'Ops-Quick', command: ['sh', '-c', 'echo quick done'] }] },
    ]);
    const { id } = await cluster.submit(text);
    await waitFor(async () => existsSync(marker) && task(await cluster.get(id), 'slow').state === 'running', { timeoutMs: 30_000, intervalMs: 50, what: 'the long task running' });
    cluster.coordinator.child.kill('SIGKILL');
    await cluster.coordinator.exited;
    const port = new URL(cluster.api).port;
    const next = spawnProcess([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], {
      name: 'coordinator-2',
      env: { ...process.env, ...cluster.coordinatorEnv, PORT: port },
    });
    disposables.add(() => next.stop('SIGTERM', 15_000));
    await next.waitForLine(/listening on/, 60_000);
    const run = await cluster.waitForRun(id, 60_000).catch(async (e: Error) => {
      throw new Error(`${e.message}\nrun: ${JSON.stringify(await cluster.get(id))}\ncoordinator-2:\n${next.outputTail(40)}`);
    });
    expect(run.state).toBe('succeeded');
    expect(task(run, 'slow')).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(task(run, 'slow').outputTail).toContain('slow done');
    expect(task(run, 'quick').outputTail).toContain('quick done');
    const estimates = (await (await cluster.fetch(`${cluster.api}/estimates`)).json()) as Record<string, { samples: number }>;
    expect(estimates['ops/Ops-Codex/true']?.samples).toBe(1); // learned before the restart, read back from KV
    expect(estimates['ops/Ops-Slow/sh']?.samples).toBe(1);
  }, 90_000);
});
