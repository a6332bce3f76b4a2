/**
 * Node-agent resources end to end (built apps, real NATS, real tmux, real cgroups where present):
 * memory policy, heartbeats under a memory kill, worktree auto-commits, task logs, and the
 * emergency commands (stop-all, reset, emergency-cleanup) leaving nothing behind.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type Heartbeat, decode, topology } from '@shoal/protocol';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';
import { isAlive, processesWithEnv } from '../support/processes.js';

const exec = promisify(execFile);
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const PULSE_MS = 1000;
/** Allocates (and touches) 16 MB every 50 ms up to ~300 MB, then idles. */
const HOG = "const k=[];const t=setInterval(()=>{k.push(Buffer.alloc(16<<20,1));if(k.length>=19)clearInterval(t)},50);setInterval(()=>{},1e6)";

const disposables = new Disposables();
let cluster: TestCluster;
let socket: string;
let nc: NatsConnection;
let dataDir: string;
let workDir: string;
const beats: { at: number; hb: Heartbeat }[] = [];
const startedPids = new Map<string, number>();

beforeAll(async () => {
  const dir = tempDir();
  disposables.add(() => dir.dispose());
  workDir = dir.path;
  dataDir = join(dir.path, 'node-a');
  const tmux = tmuxSocket();
  socket = tmux.name;
  disposables.add(() => tmux.dispose());
  cluster = await startCluster([{ nodeId: 'node-a', tmuxSocket: socket, dataDir, env: { SHOAL_CPU_BAND: '99-100', SHOAL_STOP_GRACE_MS: '3000' } }], disposables);
  nc = await cluster.connect();
  disposables.add(() => nc.close());
  const topo = topology(cluster.ns);
  const hbSub = nc.subscribe(topo.heartbeat('node-a'));
  void (async () => {
    for await (const m of hbSub) {
      const d = decode('heartbeat', m.data);
      if (d.ok) beats.push({ at: Date.now(), hb: d.value });
    }
  })();
  const statusSub = nc.subscribe(topo.status('node-a'));
  void (async () => {
    for await (const m of statusSub) {
      const d = decode('status', m.data);
      if (d.ok && d.value.kind === 'task.started' && d.value.pid) startedPids.set(`${d.value.runId}/${d.value.taskId}`, d.value.pid);
    }
  })();
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

const task = (id: string, command: string[], extra = '') =>
  `      - { id: ${id}, team: ops, role: Ops-${id}, command: ${JSON.stringify(command)}, resources: { cpu: 20, memory: 256 }${extra} }`;
const plan = (name: string, tasks: string[]) => `name: ${name}\nteams: [{ name: ops }]\nphases:\n  - id: main\n    tasks:\n${tasks.join('\n')}\n`;
const logsOf = async (runId: string, taskId: string, query = '') =>
  (await (await cluster.fetch(`${cluster.api}/runs/${runId}/tasks/${taskId}/logs${query}`)).json()) as { text: string; source: string; attempt: number };

/** Pids of the live process tree rooted at each of `roots`. */
async function treeOf(roots: number[]): Promise<number[]> {
  const { stdout } = await exec('ps', ['-e', '-o', 'pid=,ppid=']);
  const rows = stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const found = new Set<number>();
  const queue = roots.filter((r) => rows.some(([pid]) => pid === r));
  while (queue.length) {
    const p = queue.pop()!;
    found.add(p);
    for (const [pid, ppid] of rows) if (ppid === p && !found.has(pid)) queue.push(pid);
  }
  return [...found];
}

/** Shoal cgroup directories of this cluster still present on the host. */
function cgroupDirs(): string[] {
  const out: string[] = [];
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    if (!existsSync(root)) continue;
    for (const hierarchy of readdirSync(root)) {
      const dir = join(root, hierarchy);
      try {
        for (const entry of readdirSync(dir)) if (entry.startsWith(`shoal-test-${cluster.ns}`)) out.push(join(dir, entry));
      } catch {
        // not a directory
      }
    }
    for (const entry of readdirSync(root)) if (entry.startsWith(`shoal-test-${cluster.ns}`)) out.push(join(root, entry));
  }
  return out;
}

describe('memory budget', () => {
  it('a task allocating 300 MB with memory: 256 is stopped as "memory limit exceeded"; heartbeats stay on time', async () => {
    const from = Date.now();
    const run = await cluster.waitForRun((await cluster.submit(plan('mem-fail', [task('hog', ['node', '-e', HOG])]))).id);
    const to = Date.now();
    const hog = run.tasks.find((t) => t.id === 'hog')!;
    expect(run.state).toBe('failed');
    expect(hog.state).toBe('failed');
    expect(hog.reason).toMatch(/^memory limit exceeded/);
    await waitFor(() => beats.some((b) => b.at > to + PULSE_MS), { timeoutMs: 10_000, what: 'a heartbeat after the run' });
    const window = beats.filter((b) => b.at >= from - PULSE_MS && b.at <= to + 2 * PULSE_MS).map((b) => b.at);
    const gaps = window.slice(1).map((t, i) => t - window[i]!);
    console.info(`heartbeat gaps during the memory kill (pulse ${PULSE_MS} ms): max ${Math.max(...gaps)} ms over ${gaps.length} gaps`);
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...gaps)).toBeLessThan(2 * PULSE_MS);
  }, 120_000);

  it('on_memory_exceeded: restart restarts the agent in its window (same attempt) up to memory_restarts, then fails', async () => {
    const cmd = ['sh', '-c', `echo agent-start; exec node -e '${HOG}'`];
    const run = await cluster.waitForRun((await cluster.submit(plan('mem-restart', [task('leaky', cmd, ', on_memory_exceeded: restart, memory_restarts: 1')]))).id);
    const leaky = run.tasks.find((t) => t.id === 'leaky')!;
    expect(leaky.state).toBe('failed');
    expect(leaky.attempt).toBe(1);
    expect(leaky.reason).toMatch(/^memory limit exceeded/);
    const streamed = await logsOf(run.id, 'leaky');
    expect(streamed.source).toBe('stream');
    expect(streamed.text).toContain('[shoal] memory limit exceeded: restarting (1/1)');
    const file = await logsOf(run.id, 'leaky', '?source=node');
    expect(file).toMatchObject({ source: 'node', attempt: 1 });
    expect(file.text.match(/agent-start/g)).toHaveLength(2);
  }, 120_000);
});

describe('worktree through the cluster', () => {
  it('a task with repo runs in its own worktree and its work is committed on shoal/<run>/<task>', async () => {
    const repo = join(workDir, 'repo');
    await exec('git', ['init', '-q', '-b', 'main', repo]);
    writeFileSync(join(repo, 'README.md'), 'x\n');
    writeFileSync(join(repo, '.gitignore'), '*.log\n');
    await exec('git', ['-C', repo, 'add', '-A']);
    await exec('git', ['-C', repo, '-c', 'user.name=T', '-c', 'user.email=t@localhost', 'commit', '-qm', 'init']);
    const run = await cluster.waitForRun(
      (await cluster.submit(plan('wt', [task('coder', ['sh', '-c', 'pwd; echo done > made-by-agent.txt; echo junk > x.log'], `, repo: ${repo}`)]))).id,
    );
    expect(run.state).toBe('succeeded');
    const branch = `shoal/${run.id}/coder`;
    const { stdout: log } = await exec('git', ['-C', repo, 'log', branch, '--format=%an|%s']);
    expect(log.split('\n')[0]).toBe('Shoal|shoal: final commit of coder (Ops-coder, phase main): 1 file changed');
    const { stdout: files } = await exec('git', ['-C', repo, 'show', '--name-only', '--format=', branch]);
    expect(files.trim()).toBe('made-by-agent.txt');
    expect(run.tasks[0]!.outputTail).toContain(join(dataDir, 'worktrees', run.id, 'coder'));
  }, 120_000);
});

describe('emergency commands', () => {
  const sleepers = (name: string, n: number) => plan(name, Array.from({ length: n }, (_, i) => task(`s${i}`, ['sh', '-c', 'echo sleeping; sleep 1000 & sleep 1000 & wait'])));

  async function startSleepers(name: string, n: number): Promise<{ runId: string; pids: number[] }> {
    const { id } = await cluster.submit(sleepers(name, n));
    await waitFor(async () => (await cluster.get(id)).tasks.every((t) => t.state === 'running') && [...startedPids.keys()].filter((k) => k.startsWith(`${id}/`)).length === n, {
      timeoutMs: 60_000,
      what: `${n} sleeper task(s) running`,
    });
    const roots = [...startedPids].filter(([k]) => k.startsWith(`${id}/`)).map(([, pid]) => pid);
    const pids = await waitFor(async () => {
      const t = await treeOf(roots);
      return t.length >= 3 * n ? t : undefined;
    }, { timeoutMs: 20_000, what: 'the sleepers forked' });
    return { runId: id, pids };
  }

  it('heartbeats carry per-agent CPU% and RSS, the governor and the band', async () => {
    const { runId } = await startSleepers('hb', 1);
    const hb = await waitFor(() => beats.map((b) => b.hb).reverse().find((h) => h.running.some((r) => r.runId === runId && r.rssMb !== undefined)), {
      timeoutMs: 20_000,
      what: 'a heartbeat with usage of the running task',
    });
    const entry = hb.running.find((r) => r.runId === runId)!;
    expect(entry.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(entry.rssMb).toBeGreaterThanOrEqual(0);
    expect(['cgroup-v2', 'cgroup-v1', 'fallback']).toContain(hb.governor);
    expect(hb.band).toEqual({ low: 99, high: 100, state: expect.stringMatching(/^(ok|below)$/), throttled: [] });
    expect(hb.host.load1).toBeGreaterThanOrEqual(0);
    const res = await cluster.fetch(`${cluster.api}/runs/${runId}/cancel`, { method: 'POST' });
    expect(res.ok).toBe(true);
    await cluster.waitForRun(runId);
    // the run is cancelled once the coordinator says so; the node lets go of the attempt once its
    // process exited (Ctrl-C, grace, kill): the next test counts what stop-all stops on the node
    const since = Date.now();
    await waitFor(() => beats.some((b) => b.at > since && !b.hb.running.some((r) => r.runId === runId)), { timeoutMs: 30_000, what: 'the node to stop reporting the cancelled attempt' });
  }, 120_000);

  it('stop-all (API, all nodes), reset and emergency-cleanup (CLI) leave no tmux session, process or cgroup of Shoal', async () => {
    const first = await startSleepers('stop-all', 2);
    const res = await cluster.fetch(`${cluster.api}/emergency/stop-all`, { method: 'POST' });
    const body = (await res.json()) as { ok: boolean; nodes: { nodeId: string; ok: boolean; affected: number }[] };
    expect(res.status).toBe(200);
    expect(body.nodes).toEqual([{ nodeId: 'node-a', ok: true, affected: 2, message: 'stopped 2 task(s)' }]);
    expect(body.ok).toBe(true);
    const stopped = await cluster.waitForRun(first.runId);
    expect(stopped.tasks.every((t) => t.state !== 'running')).toBe(true);
    await waitFor(() => first.pids.every((p) => !isAlive(p)), { timeoutMs: 20_000, what: 'every process of the stopped tasks gone' });
    expect(await cluster.tmux(socket, ['has-session', '-t', '=Shoal-warm']).then(() => 'warm session left', () => 'none')).toBe('none');
    expect(processesWithEnv('SHOAL_GOVERNOR_GROUP', `shoal-test-${cluster.ns}-`)).toEqual([]);

    const reset = await exec(process.execPath, [CLI, '--api', cluster.api, 'reset', '--node', 'node-a'], { env: { ...process.env, SHOAL_TOKEN: cluster.token } });
    expect(reset.stdout).toContain('node-a: ok');
    expect(reset.stdout).toContain('local state forgotten');

    const second = await startSleepers('cleanup', 2);
    expect((await cluster.tmux(socket, ['ls'])).trim()).not.toBe('');
    const governor = beats.at(-1)!.hb.governor;
    if (governor.startsWith('cgroup')) expect(cgroupDirs().length).toBeGreaterThan(0);
    const cleanup = await exec(process.execPath, [CLI, '--api', cluster.api, 'emergency-cleanup', '--node', 'node-a'], { env: { ...process.env, SHOAL_TOKEN: cluster.token } });
    expect(cleanup.stdout).toContain('node-a: ok');
    await waitFor(() => [...first.pids, ...second.pids].every((p) => !isAlive(p)), { timeoutMs: 20_000, what: 'every Shoal process gone' });
    const ls = await cluster.tmux(socket, ['ls']).then(
      (out) => out.trim(),
      () => '',
    );
    expect(ls).toBe('');
    expect(cgroupDirs()).toEqual([]);
    await cluster.waitForRun(second.runId);
  }, 180_000);

  it('rejects an unknown node action and an unknown node', async () => {
    expect((await cluster.fetch(`${cluster.api}/nodes/node-a/explode`, { method: 'POST' })).status).toBe(400);
    expect((await cluster.fetch(`${cluster.api}/nodes/nope/stop-all`, { method: 'POST' })).status).toBe(404);
  });
});
