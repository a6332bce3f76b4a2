import { join } from 'node:path';
import { NotFoundError } from '@shoal/protocol';
import {
  assertCpuPercent,
  assertPrefix,
  assertTaskKey,
  CFS_PERIOD_US,
  cfsQuotaUs,
  cpuPercentOf,
  memoryLimitBytes,
  resolveBudget,
} from './budget.js';
import { nodeCgroupFs, parseKeyedCounters, readControl, writeControl, type CgroupFs, OfferedFiles, Once } from './cgroup-fs.js';
import { CgroupDirs, CgroupTask, removeDir } from './cgroup-group.js';
import type { Budget, CleanupReport, GovernedTask, GovernorOptions, ResourceGovernor, Usage, Verdict } from './types.js';

/** Mount points of the v1 hierarchies the governor uses (cpu and cpuacct may be the same mount). */
export interface V1Mounts {
  cpu: string;
  memory: string;
  cpuacct?: string;
  pids?: string;
}

/** Options of the cgroup v1 governor. */
export interface CgroupV1Options extends GovernorOptions {
  mounts: V1Mounts;
  fs?: CgroupFs;
  now?: () => number;
}

/** One control-file write of a v1 budget. */
export interface V1Write {
  hierarchy: 'cpu' | 'memory' | 'pids';
  file: string;
  value: string;
  /** Skipped when the kernel does not offer the file (e.g. memsw without swap accounting). */
  optional: boolean;
}

/** The v1 writes for a budget, in the order the kernel needs (memsw after the plain limit). Pure. */
export function v1LimitWrites(budget: Budget): V1Write[] {
  const b = resolveBudget(budget);
  const bytes = String(memoryLimitBytes(b.memoryMb));
  return [
    { hierarchy: 'cpu', file: 'cpu.cfs_period_us', value: String(CFS_PERIOD_US), optional: false },
    { hierarchy: 'cpu', file: 'cpu.cfs_quota_us', value: String(cfsQuotaUs(b.cpuPercent)), optional: false },
    { hierarchy: 'memory', file: 'memory.limit_in_bytes', value: bytes, optional: false },
    { hierarchy: 'memory', file: 'memory.memsw.limit_in_bytes', value: bytes, optional: true },
    { hierarchy: 'pids', file: 'pids.max', value: String(b.pidsMax), optional: true },
  ];
}

/** Reads a v1 memory verdict from `memory.oom_control` (kernel >= 4.13) or, failing that, `memory.failcnt`. Pure. */
export function v1MemoryVerdict(oomControl: string | null, failcnt: string | null): Verdict {
  const oom = parseKeyedCounters(oomControl ?? '').get('oom_kill');
  if (oom !== undefined) return oom > 0 ? 'memory-limit-exceeded' : null;
  return Number(failcnt ?? 0) > 0 ? 'memory-limit-exceeded' : null;
}

/** Resource governor on cgroup v1 hierarchies (cpu, memory, and cpuacct/pids when mounted). */
export class CgroupV1Governor implements ResourceGovernor {
  readonly kind = 'cgroup-v1' as const;
  private readonly fs: CgroupFs;
  private readonly prefix: string;
  private readonly killTimeoutMs: number;
  /** Parents created once (again after cleanupAll, which removes them). */
  private readonly prepared = new Once(() => this.prepare());
  private readonly offered: OfferedFiles;

  constructor(private readonly options: CgroupV1Options) {
    this.fs = options.fs ?? nodeCgroupFs;
    this.offered = new OfferedFiles(this.fs);
    this.prefix = options.prefix ?? 'shoal';
    this.killTimeoutMs = options.killTimeoutMs ?? 10_000;
    assertPrefix(this.prefix);
  }

  /** Parent directories, one per distinct mount; memory first (it lists members). */
  private parents(): string[] {
    const { memory, cpu, cpuacct, pids } = this.options.mounts;
    return [...new Set([memory, cpu, cpuacct, pids].filter((m): m is string => !!m))].map((m) => join(m, this.prefix));
  }

  private dirsOf(taskKey: string): CgroupDirs {
    return new CgroupDirs(this.fs, this.parents().map((p) => join(p, taskKey)), this.killTimeoutMs);
  }

  /** Creates the parent group in every hierarchy. */
  async prepare(): Promise<void> {
    await Promise.all(this.parents().map((parent) => this.fs.mkdir(parent)));
  }


  async create(taskKey: string, budget: Budget): Promise<GovernedTask> {
    assertTaskKey(taskKey);
    const writes = v1LimitWrites(budget);
    await this.prepared.run();
    const dirs = this.dirsOf(taskKey);
    await dirs.create();
    try {
      await this.writeLimits(taskKey, writes);
    } catch (e) {
      await dirs.remove().catch(() => undefined);
      throw e;
    }
    return this.task(taskKey, dirs, budget);
  }

  async adopt(taskKey: string, budget: Budget): Promise<GovernedTask> {
    assertTaskKey(taskKey);
    resolveBudget(budget);
    const dirs = this.dirsOf(taskKey);
    if (!(await this.fs.exists(dirs.primary))) throw new NotFoundError(`cgroup ${dirs.primary} does not exist`);
    return this.task(taskKey, dirs, budget);
  }

  private task(taskKey: string, dirs: CgroupDirs, budget: Budget): GovernedTask {
    const dir = (m: string | undefined) => (m ? join(m, this.prefix, taskKey) : undefined);
    const { cpu, memory, cpuacct } = this.options.mounts;
    let memoryMb = budget.memoryMb;
    const resize = async (next: Budget) => {
      const ordered = v1LimitWrites(next);
      await this.writeLimits(taskKey, next.memoryMb > memoryMb ? ordered.reverse() : ordered);
      memoryMb = next.memoryMb;
    };
    return new CgroupV1Task(taskKey, `${this.prefix}/${taskKey}`, dirs, this.fs, this.options.now ?? Date.now, resize, {
      cpu: dir(cpu)!,
      memory: dir(memory)!,
      cpuacct: dir(cpuacct ?? cpu)!,
    });
  }

  /** Writes limits, hierarchies in parallel, each hierarchy's files in the given order (memsw must follow the plain limit down, lead it up). */
  private async writeLimits(taskKey: string, writes: V1Write[]): Promise<void> {
    const byHierarchy = new Map<string, V1Write[]>();
    for (const w of writes) byHierarchy.set(w.hierarchy, [...(byHierarchy.get(w.hierarchy) ?? []), w]);
    await Promise.all(
      [...byHierarchy.values()].map(async (ordered) => {
        for (const w of ordered) {
          const mount = this.options.mounts[w.hierarchy];
          if (!mount) continue;
          const path = join(mount, this.prefix, taskKey, w.file);
          if (w.optional && !(await this.offered.has(w.file, path))) continue;
          await writeControl(this.fs, path, w.value);
        }
      }),
    );
  }

  async cleanupAll(except: ReadonlySet<string> = new Set()): Promise<CleanupReport> {
    const report: CleanupReport = { killedPids: [], removedGroups: [] };
    const keys = new Set<string>();
    for (const parent of this.parents()) for (const key of await this.fs.listDirs(parent)) if (!except.has(key)) keys.add(key);
    for (const key of keys) {
      const dirs = this.dirsOf(key);
      report.killedPids.push(...(await dirs.kill(`${this.prefix}/${key}`)));
      await dirs.remove();
      report.removedGroups.push(key);
    }
    if (except.size > 0) return report;
    this.prepared.reset();
    for (const parent of this.parents()) await removeDir(this.fs, parent).catch(() => undefined);
    return report;
  }
}

/** One task attempt in v1 groups. */
class CgroupV1Task extends CgroupTask {
  private lastSample: { at: number; usageNs: number } = { at: this.now(), usageNs: 0 };

  constructor(
    taskKey: string,
    marker: string,
    dirs: CgroupDirs,
    fs: CgroupFs,
    now: () => number,
    applyBudget: (budget: Budget) => Promise<void>,
    private readonly paths: { cpu: string; memory: string; cpuacct: string },
  ) {
    super(taskKey, marker, dirs, fs, now, applyBudget);
  }


  async usage(): Promise<Usage> {
    const usageNs = Number((await readControl(this.fs, join(this.paths.cpuacct, 'cpuacct.usage'))) ?? 0);
    const mem = parseKeyedCounters((await readControl(this.fs, join(this.paths.memory, 'memory.stat'))) ?? '');
    const at = this.now();
    const prev = this.lastSample;
    this.lastSample = { at, usageNs };
    const rss = mem.get('total_rss') ?? mem.get('rss') ?? 0;
    return { cpuPercent: cpuPercentOf((usageNs - prev.usageNs) / 1000, at - prev.at), rssMb: rss / 2 ** 20 };
  }

  async verdict(): Promise<Verdict> {
    if (this.finalVerdict !== undefined) return this.finalVerdict;
    return v1MemoryVerdict(
      await readControl(this.fs, join(this.paths.memory, 'memory.oom_control')),
      await readControl(this.fs, join(this.paths.memory, 'memory.failcnt')),
    );
  }

  async setCpu(cpuPercent: number): Promise<void> {
    assertCpuPercent(cpuPercent);
    await writeControl(this.fs, join(this.paths.cpu, 'cpu.cfs_quota_us'), String(cfsQuotaUs(cpuPercent)));
  }

}
