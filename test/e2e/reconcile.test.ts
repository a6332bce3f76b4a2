import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type RunView, topology } from '@shoal/protocol';
import { type TestCluster, startCluster } from '../support/cluster.js';
import { isAlive } from '../support/processes.js';

const disposables = new Disposables();
let cluster: TestCluster;
let socket: string;
let dataDir: string;

beforeAll(async () => {
  const dir = tempDir();
  disposables.add(() => dir.dispose());
  const tmux = tmuxSocket();
  socket = tmux.name;
  disposables.add(() => tmux.dispose());
  dataDir = join(dir.path, 'node-r');
  // a node TTL of 15 s: a node-agent restarted on a loaded 2-core machine (10 s and more) is still back before it
  cluster = await startCluster([{ nodeId: 'node-r', tmuxSocket: socket, dataDir }], disposables, { SHOAL_NODE_TTL_MS: '15000' });
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

describe('reconciliation between the coordinator and a restarted node-agent', () => {
  // A restarted node-agent re-adopts what its attempt records name (test/e2e/readopt.test.ts); without them
  // its old attempt is a leftover: ended there, no longer reported, declared lost by the coordinator and re-run.
  it('a node-agent killed with SIGKILL and restarted before the node TTL without its attempt records: its old attempt is ended there and re-run', async () => {
    const plan = `
name: reconcile
teams: [{ name: ops }]
phases:
  - id: only
    tasks:
      - { id: long, team: ops, role: Ops-Long, command: ["sh", "-c", "echo attempt $SHOAL_ATTEMPT; sleep 4; echo finished"], retries: 1, resources: { cpu: 5, memory: 256 } }
`;
    const { id } = await cluster.submit(plan);
    const first = await waitFor(
      async () => {
        const v = await cluster.get(id);
        const t = v.tasks[0]!;
        return t.state === 'running' && t.attempt === 1 ? v : undefined;
      },
      { timeoutMs: 60_000, what: 'attempt 1 running' },
    );
    const panes = await cluster.tmux(socket, ['list-panes', '-a', '-F', '#{session_name} #{pane_pid}']);
    const oldPids = panes
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('Task-ops '))
      .map((l) => Number(l.split(' ')[1]));
    expect(oldPids).toHaveLength(1);

    await cluster.agents[0]!.stop('SIGKILL', 5000);
    rmSync(join(dataDir, 'attempts'), { recursive: true, force: true });
    await cluster.restartAgent(0);

    const done: RunView = await cluster.waitForRun(id, 90_000);
    const t = done.tasks[0]!;
    expect(first.tasks[0]!.attempt).toBe(1);
    expect(done.state).toBe('succeeded');
    expect(t.attempt).toBe(2);
    expect(t.outputTail).toContain('attempt 2');
    expect(oldPids.filter(isAlive)).toEqual([]);
    const metrics = await (await cluster.fetch(`${cluster.api}/metrics`)).text();
    expect(metrics).toMatch(/^shoal_reconciled_total\{action="lost"\} 1$/m);
  }, 150_000);
});

describe('finished windows', () => {
  it('keeps at most SHOAL_KEEP_DEAD_WINDOWS (10) finished windows per team session', async () => {
    const tasks = Array.from({ length: 12 }, (_, i) => `      - { id: t${i}, team: many, role: Many-${i}, command: ["true"], resources: { cpu: 5, memory: 256 } }`).join('\n');
    const run = await cluster.waitForRun((await cluster.submit(`name: many\nteams: [{ name: many }]\nphases:\n  - id: only\n    tasks:\n${tasks}\n`)).id);
    expect(run.state).toBe('succeeded');
    const windows = async () => (await cluster.tmux(socket, ['list-windows', '-t', '=Task-many', '-F', '#{window_name} #{pane_dead}'])).trim().split('\n');
    const settled = await waitFor(async () => ((await windows()).length <= 10 ? windows() : undefined), { timeoutMs: 30_000, what: 'at most 10 windows left in Task-many' });
    expect(settled).toHaveLength(10);
    expect(settled.every((l) => l.endsWith(' 1'))).toBe(true);
  }, 120_000);
});

// last: it replaces the cluster's coordinator
describe('an end JetStream acknowledged that the coordinator never applied', () => {
  // Jepsen (NATS 2.12.1): an acknowledged write can be lost. Staged here by deleting the stored report while no
  // coordinator runs: without asking the node, the next leader would declare the attempt lost and run its work again.
  it('is recovered from the node that delivered it (control "result"), not declared lost and re-run', async () => {
    const plan = `
name: recover
teams: [{ name: rec }]
phases:
  - id: only
    tasks:
      - { id: quick, team: rec, role: Rec-Quick, command: ["sh", "-c", "echo attempt $SHOAL_ATTEMPT; sleep 2; echo finished"], retries: 1, resources: { cpu: 5, memory: 256 } }
`;
    const { id } = await cluster.submit(plan);
    await waitFor(async () => (await cluster.get(id)).tasks[0]!.state === 'running', { timeoutMs: 60_000, what: 'attempt 1 running' });
    await cluster.coordinator.stop('SIGKILL', 5000);
    const nc = await cluster.connect();
    disposables.add(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const topo = topology(cluster.ns);
    const end = await waitFor(
      async () => {
        const m = await jsm.streams.getMessage(topo.statusStream, { last_by_subj: topo.status('node-r') }).catch(() => null);
        const body = m ? (m.json() as { kind: string; runId: string }) : undefined;
        return body?.kind === 'task.finished' && body.runId === id ? m! : undefined;
      },
      { timeoutMs: 60_000, what: "the node's report of the end, stored by JetStream" },
    );
    expect(await jsm.streams.deleteMessage(topo.statusStream, end.seq)).toBe(true);
    const next = await cluster.startCoordinator('coordinator-next');
    const done = await waitFor(
      async () => {
        const v = (await (await cluster.fetch(`${next.api}/runs/${id}`)).json()) as RunView;
        return v.state === 'succeeded' || v.state === 'failed' ? v : undefined;
      },
      { timeoutMs: 90_000, what: 'the run finished under the next coordinator' },
    );
    const t = done.tasks[0]!;
    expect(done.state).toBe('succeeded');
    expect(t.attempt).toBe(1);
    expect(t.outputTail).toContain('attempt 1');
    const metrics = await (await cluster.fetch(`${next.api}/metrics`)).text();
    expect(metrics).toMatch(/^shoal_reconciled_total\{action="recovered"\} 1$/m);
    expect(metrics).not.toMatch(/^shoal_reconciled_total\{action="lost"\}/m);
  }, 180_000);
});
