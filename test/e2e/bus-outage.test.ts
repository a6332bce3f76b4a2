/**
 * Outages are not deaths (issue 9, point 1): the bus paused (SIGSTOP) for longer than the node TTL
 * makes no node lost. A task that finished during the outage is reported once afterwards and not
 * run again; a task that ran across it keeps its attempt and its process.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type TestCluster, startCluster } from '../support/cluster.js';

const disposables = new Disposables();
let cluster: TestCluster;
let dir: string;

/** The harness's node TTL (test/support/cluster.ts); the pause is well past it. */
const NODE_TTL_MS = 6000;
const PAUSE_MS = 3 * NODE_TTL_MS;

beforeAll(async () => {
  const d = tempDir();
  disposables.add(() => d.dispose());
  dir = d.path;
  const tmux = tmuxSocket();
  disposables.add(() => tmux.dispose());
  cluster = await startCluster([{ nodeId: 'node-out', tmuxSocket: tmux.name, dataDir: join(dir, 'node-out') }], disposables, { SHOAL_NODE_TTL_MS: String(NODE_TTL_MS) });
}, 180_000);

afterAll(async () => {
  const pid = cluster?.bus.nats.pid;
  if (pid !== undefined) process.kill(pid, 'SIGCONT');
  await disposables.disposeAll();
}, 120_000);

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

/** A task that writes `start` when it starts, waits for `gate` to exist (or `seconds`), writes `end`. */
function task(id: string, marks: string, gate: string, seconds: number): string {
  const script = 'echo "start $SHOAL_ATTEMPT $$" >> "$1"; i=0; while [ ! -e "$2" ] && [ $i -lt "$3" ]; do sleep 1; i=$((i+1)); done; echo "end $SHOAL_ATTEMPT $$" >> "$1"';
  const command = JSON.stringify(['sh', '-c', script, 'sh', marks, gate, String(seconds)]);
  return `      - { id: ${id}, team: ops, role: Ops-${id}, command: ${command}, retries: 2, resources: { cpu: 5, memory: 256 } }`;
}

describe('a bus outage longer than the node TTL', () => {
  it('loses no node: the task that finished during the outage is not re-run, the running one keeps its attempt', async () => {
    const short = join(dir, 'short.marks');
    const long = join(dir, 'long.marks');
    const shortGate = join(dir, 'short.gate');
    const longGate = join(dir, 'long.gate');
    const { id } = await cluster.submit(`
name: bus-outage
teams: [{ name: ops }]
phases:
  - id: only
    tasks:
${task('short', short, shortGate, 600)}
${task('long', long, longGate, 600)}
`);
    await waitFor(async () => (await cluster.get(id)).tasks.every((t) => t.state === 'running'), { timeoutMs: 60_000, what: 'both tasks running' });
    const natsPid = cluster.bus.nats.pid!;

    process.kill(natsPid, 'SIGSTOP');
    const pausedAt = Date.now();
    try {
      writeFileSync(shortGate, '');
      await waitFor(() => lines(short).some((l) => l.startsWith('end 1 ')), { timeoutMs: 30_000, what: 'the short task to end during the outage' });
      // Wait out the pause on the clock of the outage itself (no API: the coordinator's bus is paused).
      await waitFor(() => Date.now() - pausedAt >= PAUSE_MS, { timeoutMs: PAUSE_MS + 30_000, intervalMs: 250, what: 'the outage to last three node TTLs' });
    } finally {
      process.kill(natsPid, 'SIGCONT');
    }

    await waitFor(async () => (await cluster.get(id)).tasks.find((t) => t.id === 'short')!.state === 'succeeded', { timeoutMs: 60_000, what: 'the short result to arrive after the outage' });
    const nodes = (await (await cluster.fetch(`${cluster.api}/nodes`)).json()) as { id: string; state: string }[];
    expect(nodes.find((n) => n.id === 'node-out')?.state).not.toBe('lost');
    const during = await cluster.get(id);
    expect(during.tasks.find((t) => t.id === 'long')).toMatchObject({ state: 'running', attempt: 1 });

    writeFileSync(longGate, '');
    const done = await cluster.waitForRun(id, 90_000);
    expect(done.state).toBe('succeeded');
    for (const t of done.tasks) {
      expect(t).toMatchObject({ state: 'succeeded', attempt: 1 });
      expect(t.lostAttempts).toBeUndefined();
    }
    expect(lines(short).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['start 1', 'end 1']);
    expect(lines(long).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['start 1', 'end 1']);
    expect(cluster.coordinator.outputTail(20_000)).toMatch(/liveness judging suspended/);
    expect(cluster.coordinator.outputTail(20_000)).not.toMatch(/node node-out lost/);
  }, 240_000);
});
