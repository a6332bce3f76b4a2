/**
 * Unprivileged agents end to end (built apps, secured NATS, real tmux, real cgroups): a node-agent
 * with SHOAL_RUN_AS=nobody runs every attempt under its own uid. The attack of issue 8 — a task
 * writing its pid into the top-level groups, a `setsid` child left behind by a task that
 * "succeeded", reading the node's credentials — is refused. Must run as root.
 */
import { execFile } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { parseCgroupMounts, pickV1Mounts } from '../../apps/node-agent/src/governor/index.js';
import { processesByUid } from '../../apps/node-agent/src/run-as/index.js';
import { type TestCluster, startCluster } from '../support/cluster.js';
import { isAlive } from '../support/processes.js';

if (process.getuid?.() !== 0) throw new Error('test/e2e/run-as.test.ts must run as root: the node-agent drops root for its agents');

const exec = promisify(execFile);
const first = 2_200_000 + Math.floor(Math.random() * 80_000) * 10;
const uids = { first, last: first + 9 };
const inPool = (u: number) => u >= uids.first && u <= uids.last;

const disposables = new Disposables();
let cluster: TestCluster;
let dataDir: string;
let workDir: string;
let socket: string;

beforeAll(async () => {
  const dir = tempDir();
  disposables.add(() => dir.dispose());
  chmodSync(dir.path, 0o711);
  workDir = dir.path;
  dataDir = join(dir.path, 'node-a');
  const tmux = tmuxSocket();
  socket = tmux.name;
  disposables.add(() => tmux.dispose());
  cluster = await startCluster(
    [{ nodeId: 'node-a', tmuxSocket: tmux.name, dataDir, env: { SHOAL_RUN_AS: 'nobody', SHOAL_AGENT_UIDS: `${uids.first}-${uids.last}`, SHOAL_STOP_GRACE_MS: '2000' } }],
    disposables,
  );
}, 180_000);

afterAll(async () => {
  for (const pids of (await processesByUid('/proc', inPool)).values()) for (const pid of pids) process.kill(pid, 'SIGKILL');
  await disposables.disposeAll();
}, 120_000);

const task = (id: string, command: string[], extra = '') => `      - { id: ${id}, team: ops, role: Ops-${id}, command: ${JSON.stringify(command)}, resources: { cpu: 20, memory: 256 }${extra} }`;
const plan = (name: string, tasks: string[]) => `name: ${name}\nteams: [{ name: ops }]\nphases:\n  - id: main\n    tasks:\n${tasks.join('\n')}\n`;

/** Entries of `dir` (one level) that other users could read. */
function worldReadable(dir: string): string[] {
  return readdirSync(dir).filter((e) => (statSync(join(dir, e)).mode & 0o004) !== 0);
}

describe('node-agent with SHOAL_RUN_AS', () => {
  it('prepared its data dir: 0711, credentials 0600, logs 0700; no warm pool', async () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o711);
    expect(statSync(join(dataDir, 'credentials.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'logs')).mode & 0o777).toBe(0o700);
    expect(worldReadable(dataDir)).toEqual([]);
    expect(cluster.agents[0]!.stdout.join('\n')).toMatch(/agents run unprivileged: one uid of \d+-\d+ per attempt, group of nobody/);
    expect(await cluster.tmux(socket, ['has-session', '-t', '=Shoal-warm']).then(() => 'warm session', () => 'none')).toBe('none');
  });

  it('refuses the escape to a parent group, kills the setsid child of a task that succeeded, keeps the credentials out of reach', async () => {
    const v1 = pickV1Mounts(parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8')))!;
    const credentials = join(dataDir, 'credentials.json');
    // A failed task ends its run (the others are cancelled): the escape runs on its own.
    const escaped = await cluster.waitForRun((await cluster.submit(plan('escape', [task('escape', ['sh', '-c', 'echo $$ > "$1"', 'escape', join(v1.memory, 'cgroup.procs')])]))).id);
    const run = await cluster.waitForRun(
      (
        await cluster.submit(
          plan('attack', [
            task('leaver', ['sh', '-c', 'setsid env -i sleep 300 & until c=$(pgrep -r S,R -u "$(id -u)" -x sleep); do :; done; echo "child $c"; exit 0']),
            task('reader', ['sh', '-c', 'echo "uid=$(id -u)"; cat "$1" || echo cred-refused', 'reader', credentials]),
          ]),
        )
      ).id,
    );
    expect(escaped.tasks[0]).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^exited with code [1-9]/) });
    expect(escaped.tasks[0]!.outputTail).toMatch(/Permission denied/);
    const byId = new Map(run.tasks.map((t) => [t.id, t]));
    expect(byId.get('leaver')!.state).toBe('succeeded');
    const child = Number(/child (\d+)/.exec(byId.get('leaver')!.outputTail ?? '')?.[1]);
    expect(child).toBeGreaterThan(1);
    expect(isAlive(child) && !/\) Z /.test(readFileSync(`/proc/${child}/stat`, 'utf8'))).toBe(false);
    const reader = byId.get('reader')!;
    expect(reader.state).toBe('succeeded');
    expect(inPool(Number(/uid=(\d+)/.exec(reader.outputTail ?? '')?.[1]))).toBe(true);
    expect(reader.outputTail).toContain('cred-refused');
    expect(reader.outputTail).not.toContain(JSON.parse(readFileSync(credentials, 'utf8')).seed);
    await waitFor(async () => (await processesByUid('/proc', inPool)).size === 0 && readdirSync(join(dataDir, 'homes')).length === 0, {
      what: 'no agent uid process and no home left',
      timeoutMs: 20_000,
    });
  }, 120_000);

  it('a task with repo works in a worktree its uid owns; Shoal commits the work and takes the worktree back', async () => {
    const repo = join(workDir, 'repo');
    await exec('git', ['init', '-q', '-b', 'main', repo]);
    writeFileSync(join(repo, 'README.md'), 'x\n');
    await exec('git', ['-C', repo, 'add', '-A']);
    await exec('git', ['-C', repo, '-c', 'user.name=T', '-c', 'user.email=t@localhost', 'commit', '-qm', 'init']);
    const run = await cluster.waitForRun((await cluster.submit(plan('wt', [task('coder', ['sh', '-c', 'echo "uid=$(id -u) home=$HOME"; echo done > made-by-agent.txt'], `, repo: ${repo}`)]))).id);
    expect(run.state).toBe('succeeded');
    expect(run.tasks[0]!.outputTail).toMatch(/uid=\d+ home=.*\/homes\/\d+/);
    const { stdout: files } = await exec('git', ['-C', repo, 'show', '--name-only', '--format=', `shoal/${run.id}/coder`]);
    expect(files.trim()).toBe('made-by-agent.txt');
    const worktree = join(dataDir, 'worktrees', run.id, 'coder');
    await waitFor(() => statSync(worktree).uid === 0, { what: 'the worktree back to root', timeoutMs: 10_000 });
    expect(statSync(worktree).mode & 0o777).toBe(0o700);
  }, 120_000);

  it('a node-agent killed with -9 and restarted re-adopts an attempt with its uid; at its end the uid, its setsid child and its home are gone', async () => {
    const go = join(workDir, 'go');
    const script = 'setsid env -i sleep 300 & until c=$(pgrep -r S,R -u "$(id -u)" -x sleep); do :; done; echo "child $c"; until [ -e "$1" ]; do sleep 0.2; done; exit 0';
    const { id } = await cluster.submit(plan('readopt', [task('survivor', ['sh', '-c', script, 'survivor', go])]));
    const cmdline = (pid: number) => (isAlive(pid) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() : '');
    // The agent's shell and its setsid sleep (not the short `sleep 0.2` of its loop).
    const [uid, pids] = await waitFor(
      async () =>
        [...(await processesByUid('/proc', inPool))]
          .map(([u, p]) => [u, p.map((pid) => [pid, cmdline(pid)] as const)] as const)
          // exactly one shell (no fork of it in flight, e.g. for $(pgrep ...)) and the sleep
          .filter(([, p]) => p.filter(([, c]) => c.startsWith('sh -c')).length === 1 && p.filter(([, c]) => c === 'sleep 300').length === 1)
          .map(([u, p]) => [u, p.filter(([, c]) => c.startsWith('sh -c') || c === 'sleep 300').map(([pid]) => pid)] as const)[0],
      { what: 'the survivor and its setsid child', timeoutMs: 30_000 },
    );
    const before = pids.map((p) => [p, cmdline(p)]);
    await cluster.restartAgent(0);
    expect(cluster.agents[0]!.stdout.join('\n')).toMatch(/1 attempt\(s\) re-adopted/);
    expect(pids.map((p) => [p, cmdline(p)])).toEqual(before);
    writeFileSync(go, '');
    const run = await cluster.waitForRun(id);
    expect(run.tasks[0]).toMatchObject({ state: 'succeeded', attempt: 1 });
    await waitFor(async () => !(await processesByUid('/proc', inPool)).has(uid) && readdirSync(join(dataDir, 'homes')).length === 0, { what: 'no process of the uid and no home left', timeoutMs: 20_000 });
  }, 120_000);

  it('a task cwd the agent uid cannot enter fails the start with the reason', async () => {
    const run = await cluster.waitForRun((await cluster.submit(plan('cwd', [task('private', ['true'], ', cwd: /root')]))).id);
    expect(worldReadable(dataDir)).toEqual([]);
    expect(run.tasks[0]).toMatchObject({ state: 'failed', reason: expect.stringMatching(/cwd \/root is not accessible to the unprivileged agent user uid \d+ .*SHOAL_RUN_AS=off/) });
  }, 120_000);
});

describe('a node-agent that cannot run agents unprivileged refuses to start, saying why', () => {
  // (a node-agent that is not root is refused by RunAs.open: test/integration/run-as.test.ts; run as
  // nobody here it could not even read a checkout under /root)
  const agent = (env: Record<string, string>) => {
    const cmd = [process.execPath, join(process.cwd(), 'apps/node-agent/dist/main.js')];
    const env2 = { ...process.env, SHOAL_NODE_ID: 'refused', SHOAL_DATA_DIR: join(workDir, 'refused'), NATS_URL: 'nats://127.0.0.1:1', ...env };
    return exec(cmd[0]!, cmd.slice(1), { env: env2, timeout: 60_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
  };

  it('an unknown run-as user', async () => {
    expect(await agent({ SHOAL_RUN_AS: 'shoal-no-such-user' })).toEqual({
      code: 1,
      stderr: expect.stringContaining('SHOAL_RUN_AS=shoal-no-such-user: no such user; create it (useradd --system --no-create-home --shell /usr/sbin/nologin shoal-no-such-user) or set SHOAL_RUN_AS=off'),
    });
  }, 90_000);
});
