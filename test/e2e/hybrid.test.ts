import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import type { RunView, TaskView } from '@shoal/protocol';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';

const disposables = new Disposables();
let cluster: TestCluster;
let otlp: OtlpReceiver;
let socket: string;

const task = (run: RunView, id: string): TaskView => {
  const t = run.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id} in ${run.id}`);
  return t;
};

beforeAll(async () => {
  otlp = await startOtlpReceiver();
  disposables.add(() => otlp.close());
  const dir = tempDir();
  disposables.add(() => dir.dispose());
  const tmux = tmuxSocket();
  socket = tmux.name;
  disposables.add(() => tmux.dispose());
  cluster = await startCluster([{ nodeId: 'node-a', tmuxSocket: socket, dataDir: join(dir.path, 'node-a') }], disposables, {
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

describe('a real plan end to end (real NATS JetStream, real tmux)', () => {
  let run: RunView;

  beforeAll(async () => {
    const submitted = await cluster.submit(readFileSync(join(ROOT, 'examples/hybrid.yaml'), 'utf8'));
    run = await cluster.waitForRun(submitted.id);
  }, 120_000);

  it('runs examples/hybrid.yaml to success', () => {
    expect(run.state).toBe('succeeded');
    expect(run.phases.map((p) => [p.id, p.state])).toEqual([
      ['gather', 'succeeded'],
      ['combine', 'succeeded'],
      ['ship', 'succeeded'],
    ]);
  });

  it('starts phase 2 only after both phase-1 tasks finished, and overlaps the phase-3 tasks', () => {
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((id) => task(run, id)) as [TaskView, TaskView, TaskView, TaskView, TaskView];
    for (const t of [a, b, c, d, e]) {
      expect(t.startedAt).toEqual(expect.any(Number));
      expect(t.finishedAt).toEqual(expect.any(Number));
    }
    expect(c.startedAt!).toBeGreaterThanOrEqual(Math.max(a.finishedAt!, b.finishedAt!));
    expect(d.startedAt!).toBeGreaterThanOrEqual(c.finishedAt!);
    expect(e.startedAt!).toBeGreaterThanOrEqual(c.finishedAt!);
    expect(d.startedAt!).toBeLessThan(e.finishedAt!);
    expect(e.startedAt!).toBeLessThan(d.finishedAt!);
    expect(a.startedAt!).toBeLessThan(b.finishedAt!);
    expect(b.startedAt!).toBeLessThan(a.finishedAt!);
  });

  it('reports exit codes and output tails', () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      const t = task(run, id);
      expect(t.exitCode).toBe(0);
      expect(t.nodeId).toBe('node-a');
      expect(t.outputTail).toContain(`${id.toUpperCase()}: done`);
    }
  });

  it('gave each team a tmux session Task-<team> with one window per role', async () => {
    const windows = async (session: string) => (await cluster.tmux(socket, ['list-windows', '-t', `=${session}`, '-F', '#{window_name}'])).trim().split('\n').sort();
    expect(await windows('Task-research')).toEqual(['Research-A', 'Research-B', 'Research-E']);
    expect(await windows('Task-build')).toEqual(['Build-C', 'Build-D']);
  });

  it('traces the run with coordinator and node-agent spans under one trace id', async () => {
    expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = await waitFor(
      () => {
        const mine = otlp.spans.filter((s) => s.traceId === run.traceId);
        const dispatch = mine.filter((s) => s.service === 'shoal-coordinator' && s.name.startsWith('shoal.dispatch'));
        const exec = mine.filter((s) => s.service === 'shoal-node-agent' && s.name.startsWith('shoal.task'));
        return dispatch.length === 5 && exec.length === 5 && mine.some((s) => s.name === 'shoal.run') ? mine : undefined;
      },
      { timeoutMs: 30_000, what: 'the run span, 5 dispatch spans and 5 task spans exported under the run trace id' },
    );
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    for (const exec of spans.filter((s) => s.name.startsWith('shoal.task'))) {
      expect(byId.get(exec.parentSpanId!)?.name).toBe(exec.name.replace('shoal.task', 'shoal.dispatch'));
    }
    expect(spans.filter((s) => s.name.startsWith('shoal.phase')).map((s) => s.name).sort()).toEqual(['shoal.phase combine', 'shoal.phase gather', 'shoal.phase ship']);
  });
});

describe('failure and bad input', () => {
  it('a task that exits 1 fails its phase and skips its dependents', async () => {
    const plan = `
name: failing
teams: [{ name: ops }]
phases:
  - id: first
    tasks:
      - { id: ok, team: ops, role: Ops-Ok, command: ["true"], resources: { cpu: 5, memory: 256 } }
      - { id: boom, team: ops, role: Ops-Boom, command: ["sh", "-c", "echo about to fail; exit 1"], resources: { cpu: 5, memory: 256 } }
  - id: second
    depends_on: [first]
    tasks:
      - { id: never, team: ops, role: Ops-Never, command: ["true"], resources: { cpu: 5, memory: 256 } }
`;
    const run = await cluster.waitForRun((await cluster.submit(plan)).id);
    expect(run.state).toBe('failed');
    expect(run.reason).toContain('first');
    expect(run.phases.find((p) => p.id === 'first')?.state).toBe('failed');
    expect(run.phases.find((p) => p.id === 'second')?.state).toBe('skipped');
    const boom = task(run, 'boom');
    expect(boom.state).toBe('failed');
    expect(boom.exitCode).toBe(1);
    expect(boom.outputTail).toContain('about to fail');
    expect(task(run, 'never').state).toBe('skipped');
    expect(task(run, 'never').startedAt).toBeUndefined();
  }, 120_000);

  it('refuses a bad plan with every problem and dispatches nothing', async () => {
    const before = (await (await cluster.fetch(`${cluster.api}/runs`)).json()) as unknown[];
    const res = await cluster.fetch(`${cluster.api}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: 'name: bad\nteams: [{name: t}]\nphases:\n  - id: p\n    depends_on: [p]\n    tasks:\n      - {id: x, team: t, role: R, command: ["true"]}\n      - {id: x, team: nope, role: S, command: ["true"]}\n',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: { path: string; message: string }[] };
    expect(body.error).toBe('E_VALIDATION');
    expect(body.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['phases[0].tasks[1].id', 'phases[0].tasks[1].team', 'phases[0].depends_on[0]']));
    const after = (await (await cluster.fetch(`${cluster.api}/runs`)).json()) as unknown[];
    expect(after).toHaveLength(before.length);
  });

  it('survives malformed messages on every subject it reads, counting them', async () => {
    const nc = await cluster.connect();
    try {
      const subjects = [`${cluster.ns}.hb.node-a`, `${cluster.ns}.status.node-a`, `${cluster.ns}.work.node-a`];
      for (const s of subjects) {
        nc.publish(s, new TextEncoder().encode('{"v":1,"kind":"node.heartbeat","__proto__":{}}'));
        nc.publish(s, new Uint8Array([0xff, 0xfe, 0x00]));
        nc.publish(s, new TextEncoder().encode('not json'));
      }
      await nc.flush();
      await waitFor(
        async () => {
          const text = await (await cluster.fetch(`${cluster.api}/metrics`)).text();
          const total = [...text.matchAll(/^shoal_malformed_messages_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
          return total >= 6;
        },
        { timeoutMs: 20_000, what: 'malformed messages counted on /metrics' },
      );
      const run = await cluster.waitForRun((await cluster.submit(readFileSync(join(ROOT, 'examples/sequential.yaml'), 'utf8'))).id);
      expect(run.state).toBe('succeeded');
    } finally {
      await nc.close();
    }
  }, 120_000);
});
