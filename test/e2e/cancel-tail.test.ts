import { join } from 'node:path';
import type { TaskCaptureReply } from '@shoal/protocol';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type TestCluster, startCluster } from '../support/cluster.js';

const disposables = new Disposables();
let cluster: TestCluster;

beforeAll(async () => {
  const d = tempDir();
  disposables.add(() => d.dispose());
  const tmux = tmuxSocket();
  disposables.add(() => tmux.dispose());
  cluster = await startCluster([{ nodeId: 'cancel-node', tmuxSocket: tmux.name, dataDir: join(d.path, 'cancel-node'), env: { SHOAL_CPU_BAND: 'off' } }], disposables);
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

describe('a task cancelled while it runs', () => {
  it("keeps what it printed before it was stopped: its output tail, exit code and end time; the run and the task stay cancelled", async () => {
    const run = await cluster.submit(`
name: cancel-tail
teams: [{ name: c }]
phases:
  - id: only
    tasks:
      - { id: busy, team: c, role: Busy, command: ["sh", "-c", "echo halfway-through-the-work; exec sleep 600"], resources: { cpu: 5, memory: 256 } }
`);
    disposables.add(() => cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' }).catch(() => undefined));
    await waitFor(
      async () => {
        const res = await cluster.fetch(`${cluster.api}/runs/${run.id}/tasks/busy/capture`);
        return res.ok && ((await res.json()) as TaskCaptureReply).text.includes('halfway-through-the-work');
      },
      { timeoutMs: 60_000, what: 'the task running and its line on screen' },
    );
    const res = await cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(201);
    const ended = await waitFor(
      async () => {
        const t = (await cluster.get(run.id)).tasks.find((x) => x.id === 'busy')!;
        return t.finishedAt !== undefined ? t : undefined;
      },
      { timeoutMs: 60_000, what: "the cancelled attempt's end reported by its node" },
    );
    expect(ended).toMatchObject({ state: 'cancelled', outcome: 'cancelled', nodeId: 'cancel-node' });
    expect(ended.outputTail).toContain('halfway-through-the-work');
    expect(ended.finishedAt).toBeGreaterThanOrEqual(ended.startedAt!);
    expect((await cluster.get(run.id)).state).toBe('cancelled');
  }, 180_000);
});
