/**
 * Node-agent restarts keep agents alive (issue 8, point 5): a node-agent killed with -9 and
 * started again re-adopts the tmux windows and resource groups of attempts the coordinator still
 * wants (same attempt, same pid, logs continue), and stops those it no longer wants.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type TestCluster, startCluster } from '../support/cluster.js';
import { childrenOf, parentOf } from '../support/processes.js';

const disposables = new Disposables();
let cluster: TestCluster;
let socket: string;
let dir: string;

beforeAll(async () => {
  const d = tempDir();
  disposables.add(() => d.dispose());
  dir = d.path;
  const tmux = tmuxSocket();
  socket = tmux.name;
  disposables.add(() => tmux.dispose());
  // SHOAL_KEEP_AGENTS_ON_EXIT only matters for the graceful-shutdown case (every test leaves no task running).
  cluster = await startCluster([{ nodeId: 'node-ra', tmuxSocket: socket, dataDir: join(dir, 'node-ra'), env: { SHOAL_KEEP_AGENTS_ON_EXIT: '1' } }], disposables);
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

/**
 * A task of `seconds` (30 by default): one line `start <attempt> <pid>` in `marks` when it starts,
 * one `end <attempt> <pid>` when it ends; the script is constant, file and length are positional.
 */
function plan(name: string, marks: string, seconds = 30, timeout = '5m'): string {
  const script = 'echo "start $SHOAL_ATTEMPT $$" >> "$1"; echo "output before"; sleep "$2"; echo "output after"; echo "end $SHOAL_ATTEMPT $$" >> "$1"';
  const command = JSON.stringify(['sh', '-c', script, 'sh', marks, String(seconds)]);
  return `
name: ${name}
teams: [{ name: ops }]
phases:
  - id: only
    tasks:
      - { id: long, team: ops, role: Ops-Long, command: ${command}, retries: 1, timeout: ${timeout}, resources: { cpu: 5, memory: 256 } }
`;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
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

/** Pids of the live Task-ops panes' commands: each pane runs its entry shell, whose child is the command. */
async function panePids(): Promise<number[]> {
  const out = await cluster.tmux(socket, ['list-panes', '-a', '-F', '#{session_name} #{pane_dead} #{pane_pid}']).catch(() => '');
  return out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('Task-ops 0 '))
    .flatMap((l) => childrenOf(Number(l.split(' ')[2])));
}

/** Waits for attempt `attempt`'s start line and returns its pid. */
async function started(marks: string, attempt: number): Promise<number> {
  const line = await waitFor(() => lines(marks).find((l) => l.startsWith(`start ${attempt} `)), { timeoutMs: 60_000, what: `attempt ${attempt} to start` });
  return Number(line.split(' ')[2]);
}

/** The coordinator's count of attempts reclaimed from a node that came back (0 before the first). */
async function reclaims(): Promise<number> {
  const metrics = await (await cluster.fetch(`${cluster.api}/metrics`)).text();
  return Number(/^shoal_reconciled_total\{action="reclaim"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

describe('a restarted node-agent (kill -9, crash, upgrade)', () => {
  it('before the node TTL (three times in a row): re-adopts the running attempt, which keeps its pid, finishes once and succeeds as attempt 1', async () => {
    const marks = join(dir, 'before-ttl.marks');
    const { id } = await cluster.submit(plan('readopt-before-ttl', marks));
    const pid = await started(marks, 1);
    await waitFor(async () => (await cluster.get(id)).tasks[0]!.state === 'running', { timeoutMs: 30_000, what: 'the coordinator to see attempt 1 running' });
    expect(await panePids()).toContain(pid);

    // Killed and restarted several times in a row (Nomad's client test kills its agent ten times).
    for (let i = 0; i < 3; i++) {
      const agent = await cluster.restartAgent(0);
      expect(agent.outputTail(400)).toContain(`re-adopted: pane `);
      expect(agent.outputTail(400)).toContain(`pid ${parentOf(pid)},`); // the pane's process: the command's entry shell
      expect(running(pid)).toBe(true);
      expect(await panePids()).toContain(pid);
    }
    await waitFor(async () => (await cluster.get(id)).tasks[0]!.attempt === 1 && running(pid), { timeoutMs: 10_000, what: 'attempt 1 still wanted after the restart' });

    const done = await cluster.waitForRun(id, 90_000);
    const t = done.tasks[0]!;
    expect(done.state).toBe('succeeded');
    expect(t.attempt).toBe(1);
    expect(lines(marks)).toEqual([`start 1 ${pid}`, `end 1 ${pid}`]);
    // The log kept growing while no node-agent watched, and the report read it.
    expect(t.outputTail).toContain('output before');
    expect(t.outputTail).toContain('output after');
  }, 150_000);

  it('after the node TTL, with no other node to re-place it on: the node comes back still running attempt 1, which wins (reclaim); attempt 2 never starts', async () => {
    const marks = join(dir, 'after-ttl.marks');
    // the cluster is shared by this file's tests: an earlier restart that outlasted the TTL on a loaded machine reclaimed too
    const reclaimsBefore = await reclaims();
    const { id } = await cluster.submit(plan('readopt-after-ttl', marks, 20));
    const oldPid = await started(marks, 1);
    await waitFor(async () => (await cluster.get(id)).tasks[0]!.state === 'running', { timeoutMs: 30_000, what: 'the coordinator to see attempt 1 running' });

    await cluster.agents[0]!.stop('SIGKILL', 5000);
    await waitFor(
      async () => {
        const nodes = (await (await cluster.fetch(`${cluster.api}/nodes`)).json()) as { id: string; state: string }[];
        return nodes.find((n) => n.id === 'node-ra')?.state === 'lost';
      },
      { timeoutMs: 30_000, what: 'the coordinator to call node-ra lost' },
    );
    // Given up with its node (on_node_lost: replace): attempt 2 waits in the queue, as no node is alive.
    await waitFor(async () => (await cluster.get(id)).tasks[0]!.attempt === 2, { timeoutMs: 10_000, what: 'attempt 2 queued' });
    expect(running(oldPid)).toBe(true);
    await cluster.restartAgent(0);

    const view = await waitFor(
      async () => {
        const t = (await cluster.get(id)).tasks[0]!;
        return t.state === 'running' && t.attempt === 1 ? t : undefined;
      },
      { timeoutMs: 30_000, what: 'attempt 1 reclaimed' },
    );
    expect(view.reason).toMatch(/node node-ra came back with attempt 1 still running; attempt 2 dropped before it started/);
    const done = await cluster.waitForRun(id, 90_000);
    expect(done.state).toBe('succeeded');
    expect(done.tasks[0]!.attempt).toBe(1);
    expect(lines(marks)).toEqual([`start 1 ${oldPid}`, `end 1 ${oldPid}`]);
    expect((await reclaims()) - reclaimsBefore).toBe(1);
  }, 150_000);

  it('an attempt that ended while no node-agent watched is reported once, with its exit status', async () => {
    const marks = join(dir, 'ended-unwatched.marks');
    const { id } = await cluster.submit(plan('readopt-ended-unwatched', marks, 3));
    const pid = await started(marks, 1);
    // Running for the coordinator: task.started was published, so the attempt's record is on disk.
    await waitFor(async () => (await cluster.get(id)).tasks[0]!.state === 'running', { timeoutMs: 10_000, intervalMs: 50, what: 'the coordinator to see attempt 1 running' });
    await cluster.agents[0]!.stop('SIGKILL', 5000);
    await waitFor(() => lines(marks).includes(`end 1 ${pid}`), { timeoutMs: 10_000, what: 'attempt 1 to end while its node-agent is down' });
    const agent = await cluster.restartAgent(0);
    expect(agent.outputTail(400)).toMatch(/ended while no node-agent watched: succeeded/);
    const done = await cluster.waitForRun(id, 60_000);
    expect(done.state).toBe('succeeded');
    expect(done.tasks[0]!.attempt).toBe(1);
    expect(done.tasks[0]!.outputTail).toContain('output after');
    expect(lines(marks)).toEqual([`start 1 ${pid}`, `end 1 ${pid}`]);
  }, 120_000);

  it('an attempt whose window vanished while no node-agent watched is reported lost and re-run', async () => {
    const marks = join(dir, 'vanished.marks');
    const { id } = await cluster.submit(plan('readopt-vanished', marks, 8));
    const oldPid = await started(marks, 1);
    await waitFor(async () => (await cluster.get(id)).tasks[0]!.state === 'running', { timeoutMs: 30_000, what: 'the coordinator to see attempt 1 running' });
    await cluster.agents[0]!.stop('SIGKILL', 5000);
    // The task's window goes (its process with it); the tmux server stays. (Killing the whole server
    // here left CI runs where every new server on that socket exited at once for 90 s — "%exit
    // (server exited unexpectedly)", 35 tries — which this test does not cover; see the closing note.)
    await cluster.tmux(socket, ['kill-window', '-t', '=Task-ops:=Ops-Long']);
    await waitFor(() => cluster.tmux(socket, ['list-windows', '-t', '=Task-ops', '-F', '#{window_name}']).then((w) => !w.split('\n').includes('Ops-Long'), () => true), { timeoutMs: 10_000, what: 'the task window to be gone' });
    const agent = await cluster.restartAgent(0);
    expect(agent.outputTail(400)).toMatch(/lost: its window was gone/);
    const newPid = await started(marks, 2);
    const done = await cluster.waitForRun(id, 90_000);
    expect(done.state).toBe('succeeded');
    expect(done.tasks[0]!.attempt).toBe(2);
    expect(lines(marks)).toEqual([`start 1 ${oldPid}`, `start 2 ${newPid}`, `end 2 ${newPid}`]);
  }, 150_000);

  it('a graceful shutdown with SHOAL_KEEP_AGENTS_ON_EXIT=1 leaves the agent running for the next node-agent (upgrade path)', async () => {
    const marks = join(dir, 'upgrade.marks');
    const { id } = await cluster.submit(plan('readopt-upgrade', marks, 10));
    const pid = await started(marks, 1);
    await waitFor(async () => (await cluster.get(id)).tasks[0]!.state === 'running', { timeoutMs: 30_000, what: 'the coordinator to see attempt 1 running' });
    const exit = await cluster.agents[0]!.stop('SIGTERM', 20_000);
    expect(exit.code).toBe(0);
    expect(cluster.agents[0]!.outputTail(100)).toMatch(/leaving 1 agent\(s\) running for the next node-agent/);
    expect(running(pid)).toBe(true);
    const agent = await cluster.restartAgent(0);
    expect(agent.outputTail(400)).toMatch(/re-adopted: pane %\d+, pid \d+/);
    const done = await cluster.waitForRun(id, 60_000);
    expect(done.state).toBe('succeeded');
    expect(done.tasks[0]!.attempt).toBe(1);
    expect(lines(marks)).toEqual([`start 1 ${pid}`, `end 1 ${pid}`]);
  }, 120_000);

  it('a re-adopted attempt keeps its original deadline: one already past its timeout is stopped at once', async () => {
    const marks = join(dir, 'deadline.marks');
    const { id } = await cluster.submit(plan('readopt-deadline', marks, 60, '3s').replace('retries: 1', 'retries: 0'));
    const pid = await started(marks, 1);
    const startedAt = (await waitFor(async () => (await cluster.get(id)).tasks[0]!.startedAt, { timeoutMs: 30_000, what: 'attempt 1 started' }))!;
    await cluster.agents[0]!.stop('SIGKILL', 5000);
    await waitFor(() => Date.now() - startedAt > 3500, { timeoutMs: 15_000, intervalMs: 50, what: 'the timeout to pass while no node-agent watches' });
    expect(running(pid)).toBe(true);
    await cluster.restartAgent(0);
    const done = await cluster.waitForRun(id, 60_000);
    const t = done.tasks[0]!;
    // Stopped at adoption (the reason says so), not by a fresh 3 s timer started then.
    // (3 s + the restart stay under the harness's 6 s node TTL: the node is not lost meanwhile.)
    console.info(`deadline: attempt 1 finished ${t.finishedAt! - startedAt} ms after it started (timeout 3000 ms)`);
    expect(t.attempt).toBe(1);
    expect(t.outcome).toBe('timed-out');
    expect(t.reason).toBe('timed out after 3000 ms (its deadline passed while no node-agent watched; stopped when re-adopted)');
    expect(running(pid)).toBe(false);
    expect(lines(marks)).toEqual([`start 1 ${pid}`]);
  }, 120_000);
});
