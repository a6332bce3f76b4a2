import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendantsOf, isGone, MarkerCache, parseEnviron, parseProcStat, parseVmRssKb, type ProcStat } from './proc-fs.js';
import { parseCgroupMounts, parseKeyedCounters, parsePids } from './cgroup-fs.js';

const stat = (comm: string) =>
  `4242 (${comm}) R 17 4242 4242 0 -1 4194304 100 0 0 0 250 30 7 1 20 0 1 0 98765 1000000 200 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0`;

describe('/proc parsing', () => {
  it('reads pid, state, ppid, utime+stime and start time, whatever the command name holds', () => {
    for (const comm of ['node', 'a b', 'x) S 1 (y', ')']) {
      expect(parseProcStat(stat(comm))).toEqual({ pid: 4242, state: 'R', ppid: 17, cpuTicks: 280, startTime: 98765 });
    }
    expect(parseProcStat('garbage')).toBeNull();
  });

  it('reads VmRSS and environment markers', () => {
    expect(parseVmRssKb('Name:\tnode\nVmRSS:\t  123456 kB\nRssAnon:\t1 kB\n')).toBe(123456);
    expect(parseVmRssKb('Name:\tkthreadd\n')).toBe(0);
    expect(parseEnviron('A=1\0SHOAL_GOVERNOR_GROUP=shoal/t.1\0B=x=y\0', 'SHOAL_GOVERNOR_GROUP')).toBe('shoal/t.1');
    expect(parseEnviron('XSHOAL_GOVERNOR_GROUP=no\0', 'SHOAL_GOVERNOR_GROUP')).toBeNull();
  });

  it('treats zombies and missing processes as gone', () => {
    expect(isGone(null)).toBe(true);
    expect(isGone({ pid: 1, state: 'Z', ppid: 0, cpuTicks: 0, startTime: 0 })).toBe(true);
    expect(isGone({ pid: 1, state: 'T', ppid: 0, cpuTicks: 0, startTime: 0 })).toBe(false);
  });

  it('finds every descendant of the roots and nothing else', () => {
    const p = (pid: number, ppid: number): [number, ProcStat] => [pid, { pid, ppid, state: 'S', cpuTicks: 0, startTime: 0 }];
    const procs = new Map([p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(13, 10), p(20, 1), p(21, 20), p(30, 1)]);
    expect([...descendantsOf(procs, [10])].sort()).toEqual([10, 11, 12, 13]);
    expect([...descendantsOf(procs, [12, 21, 99])].sort()).toEqual([12, 21]);
  });
});

describe('MarkerCache', () => {
  it('reads a process environment once per pid and start time, and forgets processes that are gone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fake-proc-'));
    try {
      const env = (pid: number, text: string) => {
        mkdirSync(join(root, String(pid)), { recursive: true });
        writeFileSync(join(root, String(pid), 'environ'), text);
      };
      const proc = (pid: number, startTime: number): [number, ProcStat] => [pid, { pid, ppid: 1, state: 'S', cpuTicks: 0, startTime }];
      env(10, 'SHOAL_GOVERNOR_GROUP=shoal/a\0');
      env(11, 'OTHER=1\0');
      const cache = new MarkerCache(root, 'SHOAL_GOVERNOR_GROUP');
      expect(await cache.markers(new Map([proc(10, 100), proc(11, 100), proc(12, 100)]))).toEqual(new Map([[10, 'shoal/a'], [11, null], [12, null]]));
      env(10, 'SHOAL_GOVERNOR_GROUP=shoal/changed\0');
      expect((await cache.markers(new Map([proc(10, 100)]))).get(10)).toBe('shoal/a');
      expect((await cache.markers(new Map([proc(10, 200)]))).get(10)).toBe('shoal/changed');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('cgroup file parsing', () => {
  it('finds v1 hierarchies with their controllers and the v2 mount', () => {
    const mountinfo = [
      '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
      '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
      '41 31 0:38 / /sys/fs/cgroup/my\\040unified rw,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate',
    ].join('\n');
    expect(parseCgroupMounts(mountinfo)).toEqual([
      { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', version: 1, controllers: ['cpu', 'cpuacct'] },
      { mountPoint: '/sys/fs/cgroup/memory', version: 1, controllers: ['memory'] },
      { mountPoint: '/sys/fs/cgroup/systemd', version: 1, controllers: [] },
      { mountPoint: '/sys/fs/cgroup/my unified', version: 2, controllers: [] },
    ]);
  });

  it('parses counters and pid lists', () => {
    expect(parseKeyedCounters('low 0\nhigh 3\noom_kill 1\nmax 12\n').get('oom_kill')).toBe(1);
    expect(parseKeyedCounters('usage_usec 123\nbogus\n')).toEqual(new Map([['usage_usec', 123]]));
    expect(parsePids('12\n13\n\n')).toEqual([12, 13]);
    expect(parsePids(null)).toEqual([]);
  });
});
