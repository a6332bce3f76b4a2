import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { nodeCgroupFs, type CgroupFs } from './cgroup-fs.js';
import { CgroupV1Governor } from './cgroup-v1.js';
import { CgroupV2Governor } from './cgroup-v2.js';
import { detectGovernor, probeGovernors } from './detect.js';

/** A directory tree that behaves like cgroupfs: mkdir creates the control files the kernel would. */
function fakeCgroupFs(controlFiles: Record<string, string>): CgroupFs {
  return {
    ...nodeCgroupFs,
    mkdir: async (path) => {
      const existed = existsSync(path);
      await mkdir(path, { recursive: true });
      if (!existed) for (const [name, value] of Object.entries(controlFiles)) writeFileSync(join(path, name), value);
    },
    rmdir: (path) => rm(path, { recursive: true }),
  };
}

const V2_FILES = {
  'cgroup.procs': '',
  'cgroup.subtree_control': '',
  'cpu.max': 'max 100000',
  'cpu.stat': 'usage_usec 0\n',
  'memory.max': 'max',
  'memory.swap.max': 'max',
  'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
  'memory.stat': 'anon 0\n',
  'pids.max': 'max',
};

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'shoal-fakecg-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const read = (...parts: string[]) => readFileSync(join(root, ...parts), 'utf8');

describe('cgroup v2 on a fake tree', () => {
  function governor(now = () => 0) {
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    writeFileSync(join(root, 'cgroup.subtree_control'), '');
    return new CgroupV2Governor({ root, prefix: 'shoal-unit', fs: fakeCgroupFs(V2_FILES), now });
  }

  it('enables controllers and writes the budget into the task group', async () => {
    const task = await governor().create('run-1.task-a.1', { cpuPercent: 40, memoryMb: 256, pidsMax: 100 });
    expect(read('cgroup.subtree_control')).toBe('+cpu +memory +pids');
    expect(read('shoal-unit', 'cgroup.subtree_control')).toBe('+cpu +memory +pids');
    expect(read('shoal-unit', 'run-1.task-a.1', 'cpu.max')).toBe('40000 100000');
    expect(read('shoal-unit', 'run-1.task-a.1', 'memory.max')).toBe('268435456');
    expect(read('shoal-unit', 'run-1.task-a.1', 'memory.swap.max')).toBe('0');
    expect(read('shoal-unit', 'run-1.task-a.1', 'pids.max')).toBe('100');
    expect(existsSync(join(root, 'shoal-unit', 'run-1.task-a.1', 'memory.oom.group'))).toBe(false);
    await task.setCpu(12.5);
    expect(read('shoal-unit', 'run-1.task-a.1', 'cpu.max')).toBe('12500 100000');
    await task.resize({ cpuPercent: 80, memoryMb: 512 });
    expect(read('shoal-unit', 'run-1.task-a.1', 'cpu.max')).toBe('80000 100000');
    expect(read('shoal-unit', 'run-1.task-a.1', 'memory.max')).toBe('536870912');
    expect(task.wrapArgv(['true']).slice(4, 7)).toEqual(['shoal-unit/run-1.task-a.1', '1', join(root, 'shoal-unit', 'run-1.task-a.1', 'cgroup.procs')]);
  });

  it('reads usage and the OOM verdict, keeps the verdict after release', async () => {
    let now = 1000;
    const task = await governor(() => now).create('t1', { cpuPercent: 100, memoryMb: 64 });
    const dir = join(root, 'shoal-unit', 't1');
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 500000\nuser_usec 1\n');
    writeFileSync(join(dir, 'memory.stat'), `anon ${64 * 2 ** 20}\nfile 5\n`);
    now = 2000;
    expect(await task.usage()).toEqual({ cpuPercent: 50, rssMb: 64 });
    expect(await task.verdict()).toBeNull();
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n');
    expect(await task.verdict()).toBe('memory-limit-exceeded');
    await task.release();
    expect(existsSync(dir)).toBe(false);
    expect(await task.verdict()).toBe('memory-limit-exceeded');
  });

  it('refuses an existing group and bad budgets without leaving a directory', async () => {
    const g = governor();
    await g.create('dup', { cpuPercent: 10, memoryMb: 64 });
    await expect(g.create('dup', { cpuPercent: 10, memoryMb: 64 })).rejects.toMatchObject({ code: 'E_CONFLICT' });
    await expect(g.create('bad', { cpuPercent: -1, memoryMb: 64 })).rejects.toMatchObject({ code: 'E_VALIDATION' });
    expect(existsSync(join(root, 'shoal-unit', 'bad'))).toBe(false);
    expect(await g.cleanupAll()).toEqual({ killedPids: [], removedGroups: ['dup'] });
    expect(existsSync(join(root, 'shoal-unit'))).toBe(false);
  });

  it('is chosen by detection when cpu and memory are available, and skipped when they are not', async () => {
    const mountinfo = `41 31 0:38 / ${root} rw,relatime - cgroup2 cgroup2 rw`;
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory pids\n');
    writeFileSync(join(root, 'cgroup.subtree_control'), '');
    const fs = fakeCgroupFs(V2_FILES);
    expect((await detectGovernor({ mountinfo, fs, prefix: 'shoal-unit' })).kind).toBe('cgroup-v2');
    writeFileSync(join(root, 'cgroup.controllers'), 'pids\n');
    const probes = await probeGovernors({ mountinfo, fs, prefix: 'shoal-unit' });
    expect(probes.map((p) => [p.kind, p.available])).toEqual([
      ['cgroup-v2', false],
      ['cgroup-v1', false],
      ['fallback', true],
    ]);
    expect((await detectGovernor({ mountinfo, fs, prefix: 'shoal-unit' })).kind).toBe('fallback');
    await expect(detectGovernor({ mountinfo, fs, prefix: 'shoal-unit', force: 'cgroup-v2' })).rejects.toMatchObject({ code: 'E_DEPENDENCY' });
  });
});

describe('cgroup v1 on a fake tree', () => {
  const files = {
    cpu: { 'cgroup.procs': '', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1' },
    memory: { 'cgroup.procs': '', 'memory.limit_in_bytes': '9223372036854771712', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', 'memory.stat': 'total_rss 0\n' },
  };

  it('writes quota, memory limit (memsw only where present) into each hierarchy', async () => {
    const mounts = { cpu: join(root, 'cpu'), memory: join(root, 'memory') };
    const fs: CgroupFs = {
      ...fakeCgroupFs({}),
      mkdir: (path) => fakeCgroupFs(path.startsWith(mounts.cpu) ? files.cpu : files.memory).mkdir(path),
    };
    const g = new CgroupV1Governor({ mounts, prefix: 'shoal-unit', fs });
    const task = await g.create('t1', { cpuPercent: 40, memoryMb: 256 });
    expect(read('cpu', 'shoal-unit', 't1', 'cpu.cfs_quota_us')).toBe('40000');
    expect(read('memory', 'shoal-unit', 't1', 'memory.limit_in_bytes')).toBe('268435456');
    expect(existsSync(join(mounts.memory, 'shoal-unit', 't1', 'memory.memsw.limit_in_bytes'))).toBe(false);
    expect(task.wrapArgv(['x']).slice(5, 8)).toEqual(['2', join(mounts.memory, 'shoal-unit', 't1', 'cgroup.procs'), join(mounts.cpu, 'shoal-unit', 't1', 'cgroup.procs')]);
    await task.setCpu(150);
    expect(read('cpu', 'shoal-unit', 't1', 'cpu.cfs_quota_us')).toBe('150000');
    writeFileSync(join(mounts.memory, 'shoal-unit', 't1', 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    expect(await task.verdict()).toBe('memory-limit-exceeded');
    expect((await g.cleanupAll()).removedGroups).toEqual(['t1']);
    expect(existsSync(join(mounts.cpu, 'shoal-unit'))).toBe(false);
    expect(existsSync(join(mounts.memory, 'shoal-unit'))).toBe(false);
  });

  it('resizes with memsw ahead of the limit going up and behind it going down, as the kernel requires', async () => {
    const mounts = { cpu: join(root, 'cpu'), memory: join(root, 'memory') };
    const withMemsw = { ...files.memory, 'memory.memsw.limit_in_bytes': '9223372036854771712' };
    const base: CgroupFs = { ...fakeCgroupFs({}), mkdir: (path) => fakeCgroupFs(path.startsWith(mounts.cpu) ? files.cpu : withMemsw).mkdir(path) };
    const value = (path: string) => Number(readFileSync(path, 'utf8'));
    const fs: CgroupFs = {
      ...base,
      write: async (path, v) => {
        const dir = dirname(path);
        if (path.endsWith('memory.limit_in_bytes') && Number(v) > value(join(dir, 'memory.memsw.limit_in_bytes'))) throw new Error('EINVAL: limit above memsw');
        if (path.endsWith('memory.memsw.limit_in_bytes') && Number(v) < value(join(dir, 'memory.limit_in_bytes'))) throw new Error('EINVAL: memsw below limit');
        await base.write(path, v);
      },
    };
    const task = await new CgroupV1Governor({ mounts, prefix: 'shoal-unit', fs }).create('t2', { cpuPercent: 100, memoryMb: 256 });
    await task.resize({ cpuPercent: 50, memoryMb: 768 });
    expect(read('memory', 'shoal-unit', 't2', 'memory.limit_in_bytes')).toBe(String(768 * 2 ** 20));
    expect(read('memory', 'shoal-unit', 't2', 'memory.memsw.limit_in_bytes')).toBe(String(768 * 2 ** 20));
    expect(read('cpu', 'shoal-unit', 't2', 'cpu.cfs_quota_us')).toBe('50000');
    await task.resize({ cpuPercent: 50, memoryMb: 300 });
    expect(read('memory', 'shoal-unit', 't2', 'memory.limit_in_bytes')).toBe(String(300 * 2 ** 20));
    expect(read('memory', 'shoal-unit', 't2', 'memory.memsw.limit_in_bytes')).toBe(String(300 * 2 ** 20));
  });
});
