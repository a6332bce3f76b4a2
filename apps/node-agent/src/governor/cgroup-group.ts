import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ConflictError, ExecutionError } from '@shoal/protocol';
import { parsePids, readControl, type CgroupFs } from './cgroup-fs.js';
import { buildEnterArgv } from './enter-argv.js';
import { killUntilEmpty } from './kill-loop.js';
import type { Budget, GovernedTask, Usage, Verdict } from './types.js';

/**
 * One task's group directories (one per mounted hierarchy for v1, a single one for v2), with the
 * operations every cgroup governor shares: create, list members, kill, remove.
 */
export class CgroupDirs {
  constructor(
    private readonly fs: CgroupFs,
    /** Group directories; the first one lists the members (`cgroup.procs`). */
    readonly dirs: string[],
    private readonly killTimeoutMs: number,
  ) {}

  /** The directory whose `cgroup.procs` is authoritative for membership. */
  get primary(): string {
    return this.dirs[0]!;
  }

  /** Creates every directory; refuses a group that already exists (a stale attempt must be cleaned first). */
  async create(): Promise<void> {
    const existing = await Promise.all(this.dirs.map((dir) => this.fs.exists(dir)));
    const taken = this.dirs.find((_, i) => existing[i]);
    if (taken) throw new ConflictError(`cgroup ${taken} already exists`);
    await Promise.all(this.dirs.map((dir) => this.fs.mkdir(dir)));
  }

  /** The `cgroup.procs` files a process writes itself into to join every hierarchy. */
  procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  /** Pids currently in the group (empty when the group is gone). */
  async pids(): Promise<number[]> {
    const all = new Set<number>();
    for (const dir of this.dirs) for (const pid of parsePids(await readControl(this.fs, join(dir, 'cgroup.procs')))) all.add(pid);
    return [...all];
  }

  /** Kills every member: `cgroup.kill` when the kernel has it, then SIGKILL rounds until empty. */
  async kill(what: string): Promise<number[]> {
    const killFile = join(this.primary, 'cgroup.kill');
    if (await this.fs.exists(killFile)) await this.fs.write(killFile, '1').catch(() => undefined);
    return killUntilEmpty(() => this.pids(), this.killTimeoutMs, what);
  }

  /** True while any directory of the group still exists. */
  async exists(): Promise<boolean> {
    for (const dir of this.dirs) if (await this.fs.exists(dir)) return true;
    return false;
  }

  /** Removes every directory (members must be gone); retries briefly while the kernel still sees exiting tasks. */
  async remove(): Promise<void> {
    for (const dir of this.dirs) await removeDir(this.fs, dir);
  }
}

/** rmdir with a few retries on EBUSY (tasks exiting); missing directories are fine. */
export async function removeDir(fs: CgroupFs, dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rmdir(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 50) throw new ExecutionError(`cannot remove cgroup ${dir}`, true, { cause: e });
      await delay(20);
    }
  }
}

/** What cgroup v1 and v2 tasks share: entering by the entry script, resize, kill, release. */
export abstract class CgroupTask implements GovernedTask {
  /** The verdict read just before the group was removed. */
  protected finalVerdict: Verdict | undefined;

  constructor(
    readonly taskKey: string,
    private readonly marker: string,
    protected readonly dirs: CgroupDirs,
    protected readonly fs: CgroupFs,
    protected readonly now: () => number,
    private readonly applyBudget: (budget: Budget) => Promise<void>,
  ) {}

  abstract usage(): Promise<Usage>;
  abstract verdict(): Promise<Verdict>;
  abstract setCpu(cpuPercent: number): Promise<void>;

  resize(budget: Budget): Promise<void> {
    return this.applyBudget(budget);
  }

  wrapArgv(argv: string[]): string[] {
    return buildEnterArgv(this.marker, this.dirs.procsFiles(), argv);
  }

  attach(): void {
    // Membership comes from wrapArgv: the process joins before it exec's the command.
  }

  async kill(): Promise<void> {
    await this.dirs.kill(this.marker);
  }

  async release(): Promise<void> {
    if (!(await this.dirs.exists())) return;
    await this.kill();
    this.finalVerdict = await this.verdict();
    await this.dirs.remove();
  }
}
