import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rmdir } from 'node:fs/promises';
import { ExecutionError } from '@shoal/protocol';

/** The file operations the cgroup governors use; injectable so a fake tree can stand in for cgroupfs. */
export interface CgroupFs {
  read(path: string): Promise<string>;
  write(path: string, value: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  mkdir(path: string): Promise<void>;
  /** Removes one (empty) group directory; cgroupfs accepts rmdir even though control files are listed. */
  rmdir(path: string): Promise<void>;
  /** Names of child groups (sub-directories). */
  listDirs(path: string): Promise<string[]>;
}

/**
 * The real filesystem. Control files are small in-memory kernfs files: reading and writing them
 * synchronously costs microseconds and no thread-pool round trips. Creating a group takes longer
 * in the kernel (a memory cgroup most of all), so mkdir stays asynchronous and runs in parallel.
 */
export const nodeCgroupFs: CgroupFs = {
  read: async (path) => readFileSync(path, 'utf8'),
  write: async (path, value) => writeFileSync(path, value),
  exists: async (path) => existsSync(path),
  mkdir: async (path) => {
    await mkdir(path, { recursive: true });
  },
  rmdir: (path) => rmdir(path),
  listDirs: async (path) => {
    try {
      return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  },
};

/** Writes a control file, wrapping failures in an ExecutionError that names the file. */
export async function writeControl(fs: CgroupFs, path: string, value: string): Promise<void> {
  try {
    await fs.write(path, value);
  } catch (cause) {
    throw new ExecutionError(`cannot write ${JSON.stringify(value)} to ${path}`, false, { cause });
  }
}

/** Reads a control file, or null when it does not exist or cannot be read. */
export async function readControl(fs: CgroupFs, path: string): Promise<string | null> {
  try {
    return await fs.read(path);
  } catch {
    return null;
  }
}

/** Parses a flat-keyed control file (`memory.events`, `cpu.stat`, `memory.stat`, `memory.oom_control`). */
export function parseKeyedCounters(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) map.set(key, Number(value));
  }
  return map;
}

/** Parses `cgroup.procs`: one pid a line. */
export function parsePids(text: string | null): number[] {
  if (!text) return [];
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

/** A cgroup mount from /proc/self/mountinfo. */
export interface CgroupMount {
  mountPoint: string;
  version: 1 | 2;
  /** v1 controllers of the hierarchy (e.g. `cpu`, `cpuacct`); empty for v2. */
  controllers: string[];
}

/** Extracts cgroup mounts from /proc/self/mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fsType, , superOptions = ''] = line.slice(sep + 3).split(' ');
    const mountPoint = (left[4] ?? '').replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
    if (fsType === 'cgroup2') mounts.push({ mountPoint, version: 2, controllers: [] });
    if (fsType === 'cgroup') {
      const known = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer', 'cpuset', 'blkio', 'devices'];
      mounts.push({ mountPoint, version: 1, controllers: superOptions.split(',').filter((o) => known.includes(o)) });
    }
  }
  return mounts;
}

/** Remembers, per control file name, whether the kernel offers it (optional files are asked about once). */
export class OfferedFiles {
  private readonly known = new Map<string, Promise<boolean>>();

  constructor(private readonly fs: CgroupFs) {}

  /** True if `path` (a group's control file named `file`) exists; the first answer per name is kept. */
  has(file: string, path: string): Promise<boolean> {
    let known = this.known.get(file);
    if (!known) this.known.set(file, (known = this.fs.exists(path)));
    return known;
  }
}

/** Runs `fn` once and shares its promise until it fails or `reset()` (e.g. creating parent groups). */
export class Once {
  private done?: Promise<void>;

  constructor(private readonly fn: () => Promise<void>) {}

  run(): Promise<void> {
    this.done ??= this.fn().catch((e: unknown) => {
      this.done = undefined;
      throw e;
    });
    return this.done;
  }

  reset(): void {
    this.done = undefined;
  }
}
