/**
 * Agents run unprivileged (SHOAL_RUN_AS): real tmux on a private socket, the cgroup governor this
 * host offers and the portable fallback, real setpriv, real processes. Each attempt runs under its
 * own uid from a random range; the run-as user is `nobody`. Must run as root (it is what it tests).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { detectGovernor, FallbackGovernor, parseCgroupMounts, pickV1Mounts, type GovernedTask, type ResourceGovernor } from '../../apps/node-agent/src/governor/index.js';
import { type AgentIdentity, processesByUid, RunAs } from '../../apps/node-agent/src/run-as/index.js';
import { type PaneExit, TmuxDriver } from '../../apps/node-agent/src/tmux/index.js';
import { AutoCommitter, TaskWorktree } from '../../apps/node-agent/src/worktree/index.js';
import { isAlive } from '../support/processes.js';

if (process.getuid?.() !== 0) throw new Error('test/integration/run-as.test.ts must run as root: it checks what an agent cannot do once root is dropped');

const exec = promisify(execFile);
/** A range no other test uses: every attempt here gets one of these uids. */
const first = 2_100_000 + Math.floor(Math.random() * 80_000) * 10;
const uids = { first, last: first + 9 };
const prefix = `shoal-test-${randomBytes(4).toString('hex')}`;
const budget = { cpuPercent: 100, memoryMb: 256 };

/** One started agent: what the executor's launch() composes (identity env and cwd, group, privilege drop, window). */
interface Started {
  identity: AgentIdentity;
  governed: GovernedTask;
  paneId: string;
  pid: number;
  log: string;
}

describe('agents run unprivileged (real tmux, cgroups, setpriv)', () => {
  const disposables = new Disposables();
  let tmux: TmuxDriver;
  let governor: ResourceGovernor;
  let fallback: ResourceGovernor;
  let runAs: RunAs;
  let dataDir: string;
  let root: string;
  let socketPath: string;
  let seq = 0;

  beforeAll(async () => {
    const tmp = tempDir();
    disposables.add(() => tmp.dispose());
    root = tmp.path;
    dataDir = join(root, 'node');
    const sock = tmuxSocket();
    socketPath = sock.socketPath;
    disposables.add(() => sock.dispose());
    tmux = await TmuxDriver.connect({ socketName: sock.name });
    disposables.add(() => tmux.close());
    governor = await detectGovernor({ prefix });
    disposables.add(() => governor.cleanupAll());
    fallback = new FallbackGovernor({ prefix: `${prefix}-fb` });
    disposables.add(() => fallback.cleanupAll());
    expect(governor.kind).toMatch(/^cgroup-/);
    chmodSync(root, 0o711);
    runAs = await RunAs.open({ user: 'nobody', uids, dataDir });
  }, 60_000);

  afterAll(async () => {
    const left = runAs ? await runAs.processes((u) => u >= uids.first && u <= uids.last) : new Map();
    for (const pids of left.values()) for (const pid of pids) process.kill(pid, 'SIGKILL');
    await disposables.disposeAll();
  }, 60_000);

  /** Starts `argv` as an unprivileged attempt under `gov`, the way ExecutorService.launch() does. */
  async function start(gov: ResourceGovernor, argv: string[], opts: { identity?: AgentIdentity; cwd?: string } = {}): Promise<Started> {
    const identity = opts.identity ?? (await runAs.acquire());
    const key = `t${++seq}`;
    const governed = identity.govern(await gov.create(key, budget));
    const log = join(root, `${key}.log`);
    const win = await tmux.newWindow({ session: 'Task-runas', window: key, argv: governed.wrapArgv(argv), cwd: opts.cwd ?? identity.home, env: identity.env(), logFile: log });
    governed.attach(win.pid);
    return { identity, governed, paneId: win.paneId, pid: win.pid, log };
  }

  async function exitOf(s: Started): Promise<PaneExit> {
    return tmux.waitForExit(s.paneId);
  }

  /** Waits until the log holds `text`, returns the log. */
  async function logWith(s: Started, text: string | RegExp): Promise<string> {
    let out = '';
    await waitFor(
      () => {
        out = existsSync(s.log) ? readFileSync(s.log, 'utf8') : '';
        return typeof text === 'string' ? out.includes(text) : text.test(out);
      },
      { what: `${String(text)} in ${s.log}`, timeoutMs: 30_000 },
    );
    return out;
  }

  /** The attempt ends: group released (uid processes killed with it), then the identity. */
  async function finish(s: Started): Promise<void> {
    await s.governed.release();
    await s.identity.release();
  }

  /** A git repository with one commit, owned by root. */
  async function newRepo(name: string): Promise<string> {
    const repo = join(root, name);
    await exec('git', ['init', '-q', '-b', 'main', repo]);
    writeFileSync(join(repo, 'README.md'), 'hello\n');
    await exec('git', ['-C', repo, 'add', '-A']);
    await exec('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'initial']);
    return repo;
  }

  async function uidProcesses(uid: number): Promise<number[]> {
    return (await runAs.processes((u) => u === uid)).get(uid) ?? [];
  }

  it('refuses a data dir agents cannot reach, then prepares it: data dir 0711, logs 0700, homes 0711', async () => {
    const hidden = join(root, 'hidden');
    mkdirSync(hidden, { mode: 0o700 });
    await expect(RunAs.open({ user: 'nobody', uids, dataDir: join(hidden, 'node') })).rejects.toThrow(
      new RegExp(`not reachable by unprivileged agents \\(${hidden} is mode 0700, not searchable by other users\\).*SHOAL_RUN_AS=off`),
    );
    expect(runAs.user).toEqual({ name: 'nobody', uid: 65534, gid: 65534 });
    const mode = (p: string) => statSync(join(dataDir, p)).mode & 0o777;
    expect([mode(''), mode('logs'), mode('homes'), mode('worktrees')]).toEqual([0o711, 0o700, 0o711, 0o711]);
    await expect(RunAs.open({ user: 'shoal-no-such-user', uids, dataDir })).rejects.toThrow(/SHOAL_RUN_AS=shoal-no-such-user: no such user/);
    await expect(RunAs.open({ user: 'nobody', uids, dataDir, selfUid: 65534 })).rejects.toThrow(
      'SHOAL_RUN_AS=nobody: dropping to an agent uid needs root, and this node-agent runs as uid 65534; run it as root or set SHOAL_RUN_AS=off',
    );
  });

  it('a task writing its pid to a parent group is refused (Permission denied, non-zero exit) and stays in its own group; it cannot raise its limits', async () => {
    const v1 = pickV1Mounts(parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8')));
    expect(v1).toBeDefined();
    const parents = [join(v1!.memory, 'cgroup.procs'), join(v1!.memory, prefix, 'cgroup.procs'), join(v1!.cpu, 'cgroup.procs')];
    const ownLimit = join(v1!.memory, prefix, `t${seq + 1}`, 'memory.limit_in_bytes');
    const script = 'st=0; for f in "$@"; do echo $$ > "$f" || st=1; done; echo -1 > "$LIMIT" || st=$((st+2)); echo "id=$(id -u)"; cat /proc/$$/cgroup; exit $st';
    const limitBefore = Number(readFileSync(join(v1!.memory, 'memory.limit_in_bytes'), 'utf8'));
    const s = await start(governor, ['/usr/bin/env', `LIMIT=${ownLimit}`, '/bin/sh', '-c', script, 'escape', ...parents]);
    const exit = await exitOf(s);
    expect(exit.exitCode).toBe(3);
    const log = await logWith(s, /memory:/);
    expect(log.match(/Permission denied/g)?.length).toBe(parents.length + 1);
    expect(log).toContain(`id=${s.identity.uid}`);
    expect(log).toMatch(new RegExp(`^\\d+:memory:/${prefix}/t${seq}\r?$`, 'm'));
    expect(log).toMatch(new RegExp(`^\\d+:cpu:/${prefix}/t${seq}\r?$`, 'm'));
    expect(Number(readFileSync(ownLimit, 'utf8'))).toBe(256 * 2 ** 20);
    expect(Number(readFileSync(join(v1!.memory, 'memory.limit_in_bytes'), 'utf8'))).toBe(limitBefore);
    await finish(s);
  });

  for (const which of ['cgroup', 'fallback'] as const) {
    it(`${which} governor: a setsid child left behind by a task that exits 0 dies with the attempt`, async () => {
      const gov = which === 'cgroup' ? governor : fallback;
      // setsid + env -i: a new session and process group, no governor marker, reparented once sh exits.
      // The task exits once its child runs sleep in its own session (else the hangup of sh's exit could reach it first).
      const script = 'setsid env -i sleep 300 & until c=$(pgrep -r S,R -u "$(id -u)" -x sleep); do :; done; echo "child $c"; exit 0';
      const s = await start(gov, ['/bin/sh', '-c', script]);
      expect(await exitOf(s)).toEqual({ exitCode: 0 });
      const child = Number(/child (\d+)/.exec(await logWith(s, /child \d+/))![1]);
      expect(readFileSync(`/proc/${child}/cmdline`, 'utf8')).toBe('sleep\0' + '300\0');
      expect(readFileSync(`/proc/${child}/stat`, 'utf8')).not.toMatch(/\) Z /);
      expect(await uidProcesses(s.identity.uid)).toEqual([child]);
      expect(readFileSync(`/proc/${child}/environ`, 'latin1')).not.toContain('SHOAL_GOVERNOR_GROUP');
      const uid = s.identity.uid;
      await finish(s);
      expect(isAlive(child) && !readFileSync(`/proc/${child}/stat`, 'utf8').includes(') Z')).toBe(false);
      expect(await uidProcesses(uid)).toEqual([]);
      expect(existsSync(s.identity.home)).toBe(false);
    });
  }

  it('runs as its allocated uid (not 0) with its own HOME, and cannot read the node credentials, logs, or the tmux server', async () => {
    const credentials = join(dataDir, 'credentials.json');
    writeFileSync(credentials, '{"seed":"SUAsecret"}\n', { mode: 0o600 });
    writeFileSync(join(dataDir, 'logs', 'other.log'), 'other task output\n', { mode: 0o644 });
    const script = [
      'echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) home=$HOME pwd=$(pwd)"',
      'touch "$HOME/mine" && echo home-writable',
      'cat "$1" || echo cred-refused',
      'ls "$2" || echo datadir-unlisted',
      'cat "$2/logs/other.log" || echo logs-refused',
      'echo "tmux=${TMUX%%,*}"',
      'ls "${TMUX%%,*}" || echo tmux-refused',
      'grep -E "^(NoNewPrivs|CapEff|CapBnd):" /proc/$$/status',
      'echo done',
    ].join('; ');
    const s = await start(governor, ['/bin/sh', '-c', script, 'probe', credentials, dataDir]);
    expect((await exitOf(s)).exitCode).toBe(0);
    const log = await logWith(s, 'done');
    expect(s.identity.uid).toBeGreaterThanOrEqual(uids.first);
    expect(log).toContain(`uid=${s.identity.uid} gid=65534 groups=65534 home=${s.identity.home} pwd=${s.identity.home}`);
    for (const word of ['home-writable', 'cred-refused', 'datadir-unlisted', 'logs-refused', `tmux=${socketPath}`, 'tmux-refused']) expect(log).toContain(word);
    expect(log).toMatch(/NoNewPrivs:\s+1/);
    expect(log).toMatch(/CapEff:\s+0{16}/);
    expect(log).toMatch(/CapBnd:\s+0{16}/);
    expect(log).not.toContain('SUAsecret');
    expect(log).not.toContain('other task output');
    expect(statSync(s.identity.home).mode & 0o777).toBe(0o700);
    expect(statSync(s.identity.home).uid).toBe(s.identity.uid);
    await finish(s);
  });

  it("two attempts get different uids and cannot read each other's home or worktree; a cwd the uid cannot enter fails the start clearly", async () => {
    const repo = await newRepo('repo-a');
    const worktree = await TaskWorktree.open({ repo, dataDir, runId: 'run-a', taskId: 'a' });
    const idA = await runAs.acquire();
    await worktree.handTo(idA);
    const a = await start(governor, ['/bin/sh', '-c', 'echo secret-a > "$HOME/s"; echo work > work.txt; git status --porcelain; echo a-ready; exec sleep 300'], { identity: idA, cwd: worktree.path });
    const aLog = await logWith(a, 'a-ready');
    expect(aLog).toContain('?? work.txt');
    const b = await start(governor, ['/bin/sh', '-c', 'cat "$1/s" || echo home-refused; ls "$2" || echo worktree-refused; echo b-done', 'peek', idA.home, worktree.path]);
    expect(b.identity.uid).not.toBe(idA.uid);
    const bLog = await logWith(b, 'b-done');
    expect(bLog).toContain('home-refused');
    expect(bLog).toContain('worktree-refused');
    expect(bLog).not.toContain('secret-a');
    expect(bLog).not.toContain('README.md');
    await expect(b.identity.assertCwd(worktree.path)).rejects.toThrow(
      new RegExp(`cwd ${worktree.path} is not accessible to the unprivileged agent user uid ${b.identity.uid} .*make it readable or run with SHOAL_RUN_AS=off`),
    );
    await expect(b.identity.assertCwd('/root')).rejects.toThrow(/\/root is mode 0700, not searchable by other users/);
    await finish(b);
    await finish(a);
    expect(readFileSync(join(worktree.path, 'work.txt'), 'utf8')).toBe('work\n');
  });

  it("Shoal's commits of a worktree the agent owned ignore a .git file the agent rewrote; the worktree goes back to root", async () => {
    const repo = await newRepo('repo-b');
    const worktree = await TaskWorktree.open({ repo, dataDir, runId: 'run-b', taskId: 'b' });
    const canary = join(root, 'fsmonitor-ran');
    const id = await runAs.acquire();
    await worktree.handTo(id);
    expect(statSync(worktree.path).uid).toBe(id.uid);
    // The agent points .git at a repository of its own whose config runs a command (as root, were Shoal's git to read it).
    const script = [
      'printf "#!/bin/sh\\ntouch %s\\n" "$2" > "$HOME/hook.sh" && chmod 755 "$HOME/hook.sh"',
      'git init -q "$1" && git -C "$1" config core.fsmonitor "$HOME/hook.sh"',
      'printf "gitdir: %s/.git\\n" "$1" > .git',
      'echo change > agent.txt',
      'echo rewritten',
    ].join('; ');
    const s = await start(governor, ['/bin/sh', '-c', script, 'rewrite', join(id.home, 'evil'), canary], { identity: id, cwd: worktree.path });
    await logWith(s, 'rewritten');
    await exitOf(s);
    const commits: string[] = [];
    const committer = new AutoCommitter(worktree, { runId: 'run-b', taskId: 'b', role: 'Dev', phaseId: 'p', attempt: 1 }, 60_000, { committed: (c) => commits.push(c.sha), failed: (e) => commits.push(`failed: ${e.message}`) });
    await committer.finish('succeeded');
    expect(existsSync(canary)).toBe(false);
    expect(commits).toHaveLength(1);
    expect(commits[0]).toMatch(/^[0-9a-f]{40}$/);
    const { stdout } = await exec('git', ['-C', repo, 'show', '--name-only', '--format=', 'shoal/run-b/b']);
    expect(stdout.split('\n')).toContain('agent.txt');
    await finish(s);
    await worktree.reclaim();
    expect(statSync(worktree.path).uid).toBe(0);
    expect(statSync(worktree.path).mode & 0o777).toBe(0o700);
  });

  it('every uid is free again and no process of the range is left', async () => {
    expect([...(await processesByUid('/proc', (u) => u >= uids.first && u <= uids.last)).keys()]).toEqual([]);
    const ids = [await runAs.acquire(), await runAs.acquire()];
    expect(ids.map((i) => i.uid)).toEqual([uids.first, uids.first + 1]);
    for (const i of ids) await i.release();
  });
});
