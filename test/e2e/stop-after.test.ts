/**
 * stop_after (issue 8, point 5): a node cut off from NATS for longer than SHOAL_STOP_AFTER_MS stops
 * its own non-interactive agents; interactive ones keep running; the reports go out once the bus is
 * back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type TestCluster, startCluster } from '../support/cluster.js';

const disposables = new Disposables();
let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  const d = tempDir();
  disposables.add(() => d.dispose());
  dir = d.path;
  const tmux = tmuxSocket();
  disposables.add(() => tmux.dispose());
  cluster = await startCluster(
    [{ nodeId: 'node-sa', tmuxSocket: tmux.name, dataDir: join(dir, 'node-sa'), env: { SHOAL_STOP_AFTER_MS: '1500' } }],
    disposables,
    // The coordinator must not call the node lost during the short outage: the node decides here.
    { SHOAL_NODE_TTL_MS: '30000' },
  );
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

function pidIn(file: string): number | undefined {
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) || undefined : undefined;
}

/** True while `pid` runs (a zombie does not count). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

describe('a node cut off from NATS longer than stop_after', () => {
  it('stops its non-interactive agents (reported lost once the bus is back) and leaves interactive ones running', async () => {
    const batchPid = join(dir, 'batch.pid');
    const replPid = join(dir, 'repl.pid');
    const script = 'echo $$ > "$1"; exec sleep 120';
    // Two runs, so that the coordinator's phase policy (a failed task cancels its siblings) leaves the interactive one alone.
    const plan = (name: string, task: string) => `
name: ${name}
teams: [{ name: ops }]
phases:
  - id: only
    tasks:
      - ${task}
`;
    const batchRun = (await cluster.submit(plan('cut-off-batch', `{ id: batch, team: ops, role: Ops-Batch, command: ${JSON.stringify(['sh', '-c', script, 'sh', batchPid])}, resources: { cpu: 5, memory: 256 } }`))).id;
    const replRun = (await cluster.submit(plan('cut-off-repl', `{ id: repl, team: ops, role: Ops-Repl, interactive: true, command: ${JSON.stringify(['sh', '-c', script, 'sh', replPid])}, resources: { cpu: 5, memory: 256 } }`))).id;
    const [batch, repl] = await waitFor(
      async () => {
        const bothRunning = [await cluster.get(batchRun), await cluster.get(replRun)].every((v) => v.tasks[0]!.state === 'running');
        const b = pidIn(batchPid);
        const r = pidIn(replPid);
        return bothRunning && b && r ? [b, r] : undefined;
      },
      { timeoutMs: 60_000, what: 'both tasks running' },
    );

    await cluster.bus.nats.kill();
    try {
      await waitFor(() => !running(batch), { timeoutMs: 15_000, what: 'the batch agent to be stopped by stop_after' });
      expect(running(repl)).toBe(true);
    } finally {
      await cluster.bus.nats.restart();
    }
    expect(cluster.agents[0]!.outputTail(200)).toMatch(/node cut off from the bus for \d+ s \(stop_after\): stopping 1 agent/);

    const batchView = await waitFor(
      async () => {
        const t = (await cluster.get(batchRun)).tasks[0]!;
        return t.outcome ? t : undefined;
      },
      { timeoutMs: 60_000, what: 'the batch task reported after the bus came back' },
    );
    expect(batchView.outcome).toBe('lost');
    expect(batchView.reason).toMatch(/^node cut off from the bus for \d+ s \(stop_after\)$/);
    expect(running(repl)).toBe(true);
    expect((await cluster.get(replRun)).tasks[0]!.state).toBe('running');
    await cluster.fetch(`${cluster.api}/runs/${replRun}/cancel`, { method: 'POST' });
  }, 150_000);
});
