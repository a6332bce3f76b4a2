import { join } from 'node:path';
import { DependencyError, NotFoundError } from '@shoal/protocol';
import {
  assertCpuPercent,
  assertPrefix,
  assertTaskKey,
  cpuMaxValue,
  cpuPercentOf,
  memoryLimitBytes,
  resolveBudget,
} from './budget.js';
import { nodeCgroupFs, parseKeyedCounters, readControl, writeControl, type CgroupFs, OfferedFiles, Once } from './cgroup-fs.js';
import { CgroupDirs, CgroupTask, removeDir } from './cgroup-group.js';
import type { Budget, CleanupReport, GovernedTask, GovernorOptions, ResourceGovernor, Usage, Verdict } from './types.js';

/** Options of the cgroup v2 governor. */
export interface CgroupV2Options extends GovernorOptions {
  /** Mount point of the unified hierarchy, e.g. `/sys/fs/cgroup`. */
  root: string;
  fs?: CgroupFs;
  now?: () => number;
}

/** Controllers the governor needs in the parent's subtree; `pids` is used when present. */
export const V2_REQUIRED_CONTROLLERS = ['cpu', 'memory'] as const;

/** The v2 values written for a budget, file name -> content. Pure. */
export function v2LimitFiles(budget: Budget): Record<string, string> {
  const b = resolveBudget(budget);
  return {
    'cpu.max': cpuMaxValue(b.cpuPercent),
    'memory.max': String(memoryLimitBytes(b.memoryMb)),
    'memory.swap.max': '0',
    'memory.oom.group': '1',
    'pids.max': String(b.pidsMax),
  };
}

/** Files that only some kernels have; missing ones are skipped instead of failing. */
const V2_OPTIONAL_FILES = new Set(['memory.swap.max', 'memory.oom.group', 'pids.max']);

/** Resource governor on the unified cgroup v2 hierarchy. */
export class CgroupV2Governor implements ResourceGovernor {
  readonly kind = 'cgroup-v2' as const;
  private readonly fs: CgroupFs;
  private readonly prefix: string;
  private readonly parent: string;
  /** Parent created once (again after cleanupAll, which removes it). */
  private readonly prepared = new Once(() => this.prepare());
  private readonly offered: OfferedFiles;

  constructor(private readonly options: CgroupV2Options) {
    this.fs = options.fs ?? nodeCgroupFs;
    this.offered = new OfferedFiles(this.fs);
    this.prefix = options.prefix ?? 'shoal';
    assertPrefix(this.prefix);
    this.parent = join(options.root, this.prefix);
  }

  /** Creates the parent group and enables cpu, memory (and pids) for its children. */
  async prepare(): Promise<void> {
    const available = (await readControl(this.fs, join(this.options.root, 'cgroup.controllers')))?.split(/\s+/) ?? [];
    const missing = V2_REQUIRED_CONTROLLERS.filter((c) => !available.includes(c));
    if (missing.length) {
      throw new DependencyError(`cgroup v2 at ${this.options.root} lacks controllers: ${missing.join(', ')}`);
    }
    const enable = [...V2_REQUIRED_CONTROLLERS, ...(available.includes('pids') ? ['pids'] : [])]
      .map((c) => `+${c}`)
      .join(' ');
    await writeControl(this.fs, join(this.options.root, 'cgroup.subtree_control'), enable);
    await this.fs.mkdir(this.parent);
    await writeControl(this.fs, join(this.parent, 'cgroup.subtree_control'), enable);
  }

  async create(taskKey: string, budget: Budget): Promise<GovernedTask> {
    assertTaskKey(taskKey);
    const files = v2LimitFiles(budget);
    await this.prepared.run();
    const dirs = new CgroupDirs(this.fs, [join(this.parent, taskKey)], this.options.killTimeoutMs ?? 10_000);
    await dirs.create();
    try {
      await this.apply(dirs, files);
    } catch (e) {
      await dirs.remove().catch(() => undefined);
      throw e;
    }
    return this.task(taskKey, dirs);
  }

  async adopt(taskKey: string, budget: Budget): Promise<GovernedTask> {
    assertTaskKey(taskKey);
    resolveBudget(budget);
    const dirs = new CgroupDirs(this.fs, [join(this.parent, taskKey)], this.options.killTimeoutMs ?? 10_000);
    if (!(await dirs.exists())) throw new NotFoundError(`cgroup ${dirs.primary} does not exist`);
    return this.task(taskKey, dirs);
  }

  private task(taskKey: string, dirs: CgroupDirs): GovernedTask {
    return new CgroupV2Task(taskKey, `${this.prefix}/${taskKey}`, dirs, this.fs, this.options.now ?? Date.now, (b) => this.apply(dirs, v2LimitFiles(b)));
  }

  /** Writes limit files into the group, skipping optional ones this kernel does not offer. */
  private async apply(dirs: CgroupDirs, files: Record<string, string>): Promise<void> {
    await Promise.all(
      Object.entries(files).map(async ([name, value]) => {
        const path = join(dirs.primary, name);
        if (V2_OPTIONAL_FILES.has(name) && !(await this.offered.has(name, path))) return;
        await writeControl(this.fs, path, value);
      }),
    );
  }

  async cleanupAll(except: ReadonlySet<string> = new Set()): Promise<CleanupReport> {
    const report: CleanupReport = { killedPids: [], removedGroups: [] };
    const timeout = this.options.killTimeoutMs ?? 10_000;
    for (const key of await this.fs.listDirs(this.parent)) {
      if (except.has(key)) continue;
      const dirs = new CgroupDirs(this.fs, [join(this.parent, key)], timeout);
      report.killedPids.push(...(await dirs.kill(`${this.prefix}/${key}`)));
      await dirs.remove();
      report.removedGroups.push(key);
    }
    if (except.size > 0) return report;
    this.prepared.reset();
    await removeDir(this.fs, this.parent).catch(() => undefined);
    return report;
  }

}

/** One task attempt in a v2 group. */
class CgroupV2Task extends CgroupTask {
  private lastSample: { at: number; usageUsec: number } = { at: this.now(), usageUsec: 0 };


  async usage(): Promise<Usage> {
    const cpu = parseKeyedCounters((await readControl(this.fs, join(this.dirs.primary, 'cpu.stat'))) ?? '');
    const mem = parseKeyedCounters((await readControl(this.fs, join(this.dirs.primary, 'memory.stat'))) ?? '');
    const at = this.now();
    const usageUsec = cpu.get('usage_usec') ?? 0;
    const prev = this.lastSample ?? { at, usageUsec };
    this.lastSample = { at, usageUsec };
    return { cpuPercent: cpuPercentOf(usageUsec - prev.usageUsec, at - prev.at), rssMb: (mem.get('anon') ?? 0) / 2 ** 20 };
  }

  async verdict(): Promise<Verdict> {
    if (this.finalVerdict !== undefined) return this.finalVerdict;
    const events = parseKeyedCounters((await readControl(this.fs, join(this.dirs.primary, 'memory.events'))) ?? '');
    return (events.get('oom_kill') ?? 0) > 0 || (events.get('oom_group_kill') ?? 0) > 0 ? 'memory-limit-exceeded' : null;
  }

  async setCpu(cpuPercent: number): Promise<void> {
    assertCpuPercent(cpuPercent);
    await writeControl(this.fs, join(this.dirs.primary, 'cpu.max'), cpuMaxValue(cpuPercent));
  }

}
