/**
 * One conformance suite for every resource governor available on this host (cgroup v2, cgroup v1,
 * portable fallback). Real processes, real cgroups; each governor works under its own parent
 * group `shoal-test-<random>` and everything is killed and removed after each test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { tempDir, waitFor } from '@shoal/testing';
import {
  parseCgroupMounts,
  pickV1Mounts,
  probeGovernors,
  type GovernedTask,
  type GovernorKind,
  type ResourceGovernor,
} from '../../apps/node-agent/src/governor/index.js';

const prefix = `shoal-test-${randomBytes(4).toString('hex')}`;
const probes = await probeGovernors({ prefix });
const available = probes.flatMap((p) => (p.available ? [[p.kind, p.governor] as [GovernorKind, ResourceGovernor]] : []));
console.info(
  `governor conformance runs: ${available.map(([k]) => k).join(', ')}; skipped: ${
    probes.flatMap((p) => (p.available ? [] : [`${p.kind} (${p.reason})`])).join('; ') || 'none'
  }`,
);

const mounts = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));

/** Group directories a governor kind keeps for a task key (none for the fallback). */
function groupDirs(kind: GovernorKind, key: string): string[] {
  if (kind === 'cgroup-v2') return [join(mounts.find((m) => m.version === 2)!.mountPoint, prefix, key)];
  if (kind === 'cgroup-v1') return Object.values(pickV1Mounts(mounts)!).map((m) => join(m, prefix, key));
  return [];
}

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  ticks: number;
}

/** Live (non-zombie) processes by pid, read straight from /proc. */
function processes(): Map<number, ProcInfo> {
  const all = new Map<number, ProcInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const info = { pid: Number(entry), state: f[0]!, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
      if (info.state !== 'Z' && info.state !== 'X') all.set(info.pid, info);
    } catch {
      // exited while scanning
    }
  }
  return all;
}

/** Pids of the live tree rooted at `root`. */
function tree(root: number): number[] {
  const procs = processes();
  const found: number[] = [];
  const queue = procs.has(root) ? [root] : [];
  while (queue.length) {
    const pid = queue.pop()!;
    found.push(pid);
    for (const p of procs.values()) if (p.ppid === pid) queue.push(p.pid);
  }
  return found;
}

function treeCpuTicks(root: number): number {
  const procs = processes();
  return tree(root).reduce((sum, pid) => sum + (procs.get(pid)?.ticks ?? 0), 0);
}

function alive(pids: number[]): number[] {
  const procs = processes();
  return pids.filter((pid) => procs.has(pid));
}

interface Spawned {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
const tasks: GovernedTask[] = [];

function run(task: GovernedTask, argv: string[]): Spawned {
  const wrapped = task.wrapArgv(argv);
  const child = spawn(wrapped[0]!, wrapped.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.resume();
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  task.attach(child.pid!);
  return { child, pid: child.pid!, stdout: () => out, exit };
}

/** CPU of the tree rooted at `root` over a window of `ms`, in % of one core. */
async function measureCpu(root: number, ms: number): Promise<number> {
  const before = treeCpuTicks(root);
  const started = Date.now();
  await sleep(ms);
  const ticks = treeCpuTicks(root) - before;
  return (ticks * 10 * 100) / (Date.now() - started);
}

afterEach(async () => {
  for (const task of tasks.splice(0)) await task.release().catch(() => undefined);
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  for (const [, governor] of available) await governor.cleanupAll().catch(() => undefined);
});

describe('governor detection', () => {
  it('always offers the fallback, explains every unavailable kind, and prefers cgroups', async () => {
    expect(available.map(([k]) => k)).toContain('fallback');
    for (const p of probes) if (!p.available) expect(p.reason.length).toBeGreaterThan(0);
    const v2 = mounts.find((m) => m.version === 2);
    const v2Controllers = v2 ? readFileSync(join(v2.mountPoint, 'cgroup.controllers'), 'utf8').split(/\s+/) : [];
    const v2Usable = v2Controllers.includes('cpu') && v2Controllers.includes('memory');
    if (!v2Usable) expect(probes.find((p) => p.kind === 'cgroup-v2')!.available).toBe(false);
  });
});

describe.each(available)('%s governor', (kind, governor) => {
  async function create(key: string, budget: { cpuPercent: number; memoryMb: number }): Promise<GovernedTask> {
    const task = await governor.create(key, budget);
    tasks.push(task);
    return task;
  }

  it('reports its kind', () => {
    expect(governor.kind).toBe(kind);
  });

  it('holds a busy loop to its CPU budget and follows setCpu', async () => {
    const task = await create('cpu-budget', { cpuPercent: 40, memoryMb: 256 });
    const loop = run(task, ['/bin/sh', '-c', 'while :; do :; done']);
    await waitFor(() => treeCpuTicks(loop.pid) > 0, { what: 'the busy loop to run', timeoutMs: 10_000 });
    await task.usage();
    const at40 = await measureCpu(loop.pid, 5000);
    const reported = (await task.usage()).cpuPercent;
    await task.setCpu(20);
    await sleep(300);
    const at20 = await measureCpu(loop.pid, 3000);
    console.info(`${kind}: busy loop at cpuPercent 40 -> ${at40.toFixed(1)}% (usage() said ${reported.toFixed(1)}%), at 20 -> ${at20.toFixed(1)}%`);
    expect(at40).toBeLessThanOrEqual(50);
    expect(at40).toBeGreaterThan(10);
    expect(reported).toBeGreaterThan(10);
    expect(reported).toBeLessThanOrEqual(55);
    expect(at20).toBeLessThanOrEqual(30);
    expect(at20).toBeLessThan(at40);
  });

  it('kills a process that goes over its memory budget and says why', async () => {
    const task = await create('mem-budget', { cpuPercent: 100, memoryMb: 256 });
    expect(await task.verdict()).toBeNull();
    const hog = run(task, [
      process.execPath,
      '-e',
      'const a=[];for(let i=0;i<30;i++)a.push(Buffer.alloc(10*1024*1024,1));console.log("allocated");setInterval(()=>{},1e6)',
    ]);
    const deadline = new AbortController();
    const exit = await Promise.race([
      hog.exit,
      sleep(60_000, 'still running' as const, { signal: deadline.signal }).catch(() => 'aborted' as const),
    ]).finally(() => deadline.abort());
    expect(exit).not.toBe('still running');
    const { code, signal } = exit as { code: number | null; signal: NodeJS.Signals | null };
    expect(signal === 'SIGKILL' || code === 137).toBe(true);
    expect(await task.verdict()).toBe('memory-limit-exceeded');
  });

  it('resize() gives a group prepared ahead of time its task budget, up and down', async () => {
    const task = await create('resized', { cpuPercent: 100, memoryMb: 128 });
    await task.resize({ cpuPercent: 100, memoryMb: 512 });
    const fits = run(task, [process.execPath, '-e', 'const a=[];for(let i=0;i<25;i++)a.push(Buffer.alloc(10*1024*1024,1));console.log("allocated")']);
    expect(await fits.exit).toEqual({ code: 0, signal: null });
    expect(fits.stdout()).toContain('allocated');
    expect(await task.verdict()).toBeNull();
    await task.resize({ cpuPercent: 20, memoryMb: 128 });
    const loop = run(task, ['/bin/sh', '-c', 'while :; do :; done']);
    await waitFor(() => treeCpuTicks(loop.pid) > 0, { what: 'the busy loop to run', timeoutMs: 10_000 });
    const at20 = await measureCpu(loop.pid, 3000);
    console.info(`${kind}: busy loop after resize to cpuPercent 20 -> ${at20.toFixed(1)}%`);
    expect(at20).toBeLessThanOrEqual(30);
    const hog = run(task, [process.execPath, '-e', 'const a=[];for(let i=0;i<25;i++)a.push(Buffer.alloc(10*1024*1024,1));setInterval(()=>{},1e6)']);
    const { code, signal } = await hog.exit;
    expect(signal === 'SIGKILL' || code === 137).toBe(true);
    expect(await task.verdict()).toBe('memory-limit-exceeded');
  });

  it('kill() ends the whole tree; release() leaves no group and no process', async () => {
    const task = await create('tree-kill', { cpuPercent: 50, memoryMb: 256 });
    const parent = run(task, ['/bin/sh', '-c', 'sleep 1000 & sleep 1000 & (sleep 1000 & wait) & wait']);
    const pids = await waitFor(() => (tree(parent.pid).length >= 5 ? tree(parent.pid) : null), {
      what: 'the parent and its children',
      timeoutMs: 10_000,
    });
    await task.kill();
    expect(alive(pids)).toEqual([]);
    expect(await task.verdict()).toBeNull();

    const again = await create('tree-release', { cpuPercent: 50, memoryMb: 256 });
    const second = run(again, ['/bin/sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
    const secondPids = await waitFor(() => (tree(second.pid).length >= 3 ? tree(second.pid) : null), {
      what: 'the second tree',
      timeoutMs: 10_000,
    });
    for (const dir of groupDirs(kind, 'tree-release')) expect(existsSync(dir)).toBe(true);
    await again.release();
    expect(alive(secondPids)).toEqual([]);
    for (const dir of groupDirs(kind, 'tree-release')) expect(existsSync(dir)).toBe(false);
    await expect(again.release()).resolves.toBeUndefined();
  });

  it('cleanupAll() removes every group and process', async () => {
    const keys = ['cleanup-a', 'cleanup-b', 'cleanup-c'];
    const created = await Promise.all(keys.map((k) => create(k, { cpuPercent: 30, memoryMb: 128 })));
    const roots = [run(created[0]!, ['sleep', '1000']), run(created[1]!, ['/bin/sh', '-c', 'sleep 1000 & wait'])];
    const pids = await waitFor(
      () => {
        const all = roots.flatMap((r) => tree(r.pid));
        return all.length >= 3 ? all : null;
      },
      { what: 'the sleepers', timeoutMs: 10_000 },
    );
    const report = await governor.cleanupAll();
    expect([...report.removedGroups].sort()).toEqual(expect.arrayContaining(keys));
    expect(report.killedPids).toEqual(expect.arrayContaining(roots.map((r) => r.pid).filter((p) => pids.includes(p))));
    expect(alive(pids)).toEqual([]);
    for (const key of keys) for (const dir of groupDirs(kind, key)) expect(existsSync(dir)).toBe(false);
  });

  it('a fresh governor (agent restart) finds and removes what the previous one left', async () => {
    const task = await create('restart-left', { cpuPercent: 30, memoryMb: 128 });
    const left = run(task, ['/bin/sh', '-c', 'sleep 1000 & wait']);
    const pids = await waitFor(() => (tree(left.pid).length >= 2 ? tree(left.pid) : null), { what: 'the sleeper', timeoutMs: 10_000 });
    const successor = (await probeGovernors({ prefix })).find((p) => p.kind === kind);
    if (!successor?.available) throw new Error(`${kind} no longer available`);
    const report = await successor.governor.cleanupAll();
    expect(report.removedGroups).toContain('restart-left');
    expect(alive(pids)).toEqual([]);
    for (const dir of groupDirs(kind, 'restart-left')) expect(existsSync(dir)).toBe(false);
  });

  it('adopt(): a fresh governor (agent restart) takes over a live group, cleanupAll spares it, usage/kill/release work', async () => {
    const task = await create('adopted', { cpuPercent: 30, memoryMb: 128 });
    const busy = run(task, ['/bin/sh', '-c', 'sleep 1000 & while :; do :; done']);
    const other = await create('not-adopted', { cpuPercent: 30, memoryMb: 128 });
    const stray = run(other, ['/bin/sh', '-c', 'sleep 1000 & wait']);
    const pids = await waitFor(() => (tree(busy.pid).length >= 2 && tree(stray.pid).length >= 2 ? tree(busy.pid) : null), { what: 'both trees', timeoutMs: 10_000 });
    const strayPids = tree(stray.pid);
    const successor = (await probeGovernors({ prefix })).find((p) => p.kind === kind);
    if (!successor?.available) throw new Error(`${kind} no longer available`);
    const adopted = await successor.governor.adopt('adopted', { cpuPercent: 30, memoryMb: 128 });
    tasks.push(adopted);
    await expect(successor.governor.adopt('never-created', { cpuPercent: 30, memoryMb: 128 })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });

    const report = await successor.governor.cleanupAll(new Set(['adopted']));
    expect(report.removedGroups).toContain('not-adopted');
    expect(report.removedGroups).not.toContain('adopted');
    expect(alive(strayPids)).toEqual([]);
    expect(alive(pids)).toEqual(pids);
    for (const dir of groupDirs(kind, 'adopted')) expect(existsSync(dir)).toBe(true);

    await adopted.usage();
    const cpu = await measureCpu(busy.pid, 3000);
    const reported = (await adopted.usage()).cpuPercent;
    console.info(`${kind}: adopted busy loop at cpuPercent 30 -> ${cpu.toFixed(1)}% (usage() said ${reported.toFixed(1)}%)`);
    expect(cpu).toBeLessThanOrEqual(40);
    expect(reported).toBeGreaterThan(5);
    expect(reported).toBeLessThanOrEqual(45);

    await adopted.kill();
    expect(alive(pids)).toEqual([]);
    await adopted.release();
    for (const dir of groupDirs(kind, 'adopted')) expect(existsSync(dir)).toBe(false);
  });

  it('passes argv with shell metacharacters literally and never runs them', async () => {
    const dir = tempDir();
    try {
      const canary = join(dir.path, 'canary');
      const weird = [
        `; touch ${canary}`,
        `$(touch ${canary})`,
        `\`touch ${canary}\``,
        `' ; touch ${canary} ; '`,
        `" && touch ${canary} "`,
        `| touch ${canary}`,
        `\ntouch ${canary}\n`,
        '$1 $@ $$ ${HOME} ~ * ?',
        `#(touch ${canary}) #{pane_id}`,
        '\u001b[31mC-c',
        '',
        '--',
        '-c',
      ];
      const task = await create('argv-literal', { cpuPercent: 50, memoryMb: 256 });
      const echo = run(task, [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '--', ...weird]);
      const exit = await echo.exit;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(JSON.parse(echo.stdout())).toEqual(weird);
      expect(existsSync(canary)).toBe(false);
    } finally {
      await dir.dispose();
    }
  });

  it('rejects task keys that could escape the parent group', async () => {
    for (const key of ['../escape', 'a/b', 'Upper', '', '.hidden', 'a..b', 'x'.repeat(129)]) {
      await expect(governor.create(key, { cpuPercent: 10, memoryMb: 64 })).rejects.toMatchObject({ code: 'E_VALIDATION' });
    }
  });
});
