import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Kernel USER_HZ: /proc reports CPU times in 1/100 s on every Linux ABI Node supports. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat the governors use. */
export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Start time after boot, in clock ticks; with the pid it identifies a process across pid reuse. */
  startTime: number;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const startTime = Number(rest[19]);
  if (![pid, ppid, utime, stime, startTime].every(Number.isFinite) || !rest[0]) return null;
  return { pid, state: rest[0], ppid, cpuTicks: utime + stime, startTime };
}

/** Reads the `VmRSS` line of /proc/<pid>/status, in KiB (0 for kernel threads and zombies). */
export function parseVmRssKb(statusText: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(statusText);
  return match ? Number(match[1]) : 0;
}

/** Finds `name=value` in a NUL-separated /proc/<pid>/environ. */
export function parseEnviron(environText: string, name: string): string | null {
  const prefix = `${name}=`;
  for (const entry of environText.split('\0')) {
    if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  }
  return null;
}

/** True for states of a process that will never run again (zombie, dead). */
export function isGone(stat: ProcStat | null): boolean {
  return stat === null || stat.state === 'Z' || stat.state === 'X';
}

/** Every pid in `procs` that descends from (or is) one of `roots`. */
export function descendantsOf(procs: Map<number, ProcStat>, roots: Iterable<number>): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of procs.values()) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const found = new Set<number>();
  const queue = [...roots].filter((pid) => procs.has(pid));
  while (queue.length) {
    const pid = queue.pop()!;
    if (found.has(pid)) continue;
    found.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Reads /proc/<pid>/stat, or null when the process is gone. */
export async function readProcStat(procRoot: string, pid: number): Promise<ProcStat | null> {
  try {
    return parseProcStat(await readFile(join(procRoot, String(pid), 'stat'), 'utf8'));
  } catch {
    return null;
  }
}

/** Reads VmRSS of one process in KiB (0 when gone). */
export async function readRssKb(procRoot: string, pid: number): Promise<number> {
  try {
    return parseVmRssKb(await readFile(join(procRoot, String(pid), 'status'), 'utf8'));
  } catch {
    return 0;
  }
}

/** Reads the governor group marker from a process's environment, or null. */
export async function readGroupMarker(procRoot: string, pid: number, name: string): Promise<string | null> {
  try {
    return parseEnviron(await readFile(join(procRoot, String(pid), 'environ'), 'latin1'), name);
  } catch {
    return null;
  }
}

/**
 * Group markers of processes, read from /proc once per process (pid + start time identify it
 * across pid reuse): a release or cleanup then reads the environment of new processes only,
 * not of every process on the host.
 */
export class MarkerCache {
  private readonly known = new Map<string, Promise<string | null>>();

  constructor(
    private readonly procRoot: string,
    private readonly name: string,
  ) {}

  /** The marker of every process in `procs` (null when unmarked or unreadable); forgets processes that are gone. */
  async markers(procs: Map<number, ProcStat>): Promise<Map<number, string | null>> {
    const live = new Set<string>();
    const out = new Map<number, string | null>();
    await Promise.all(
      [...procs.values()].map(async (p) => {
        const key = `${p.pid}:${p.startTime}`;
        live.add(key);
        let marker = this.known.get(key);
        if (!marker) this.known.set(key, (marker = readGroupMarker(this.procRoot, p.pid, this.name)));
        out.set(p.pid, await marker);
      }),
    );
    for (const key of this.known.keys()) if (!live.has(key)) this.known.delete(key);
    return out;
  }
}

/** Stats of every live process on the host, by pid. */
export async function snapshotProcesses(procRoot: string): Promise<Map<number, ProcStat>> {
  const entries = await readdir(procRoot);
  const stats = await Promise.all(
    entries.filter((e) => /^\d+$/.test(e)).map((e) => readProcStat(procRoot, Number(e))),
  );
  const procs = new Map<number, ProcStat>();
  for (const s of stats) if (s && !isGone(s)) procs.set(s.pid, s);
  return procs;
}
