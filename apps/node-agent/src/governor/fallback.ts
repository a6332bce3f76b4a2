import { ConflictError, NotFoundError } from '@shoal/protocol';
import { assertPrefix, assertTaskKey, resolveBudget } from './budget.js';
import { GROUP_ENV } from './enter-argv.js';
import { FallbackTask, type FallbackContext } from './fallback-task.js';
import { killUntilEmpty } from './kill-loop.js';
import { MarkerCache, snapshotProcesses, type ProcStat } from './proc-fs.js';
import type { Budget, CleanupReport, GovernedTask, GovernorOptions, ResourceGovernor } from './types.js';

/** Options of the portable governor. */
export interface FallbackOptions extends GovernorOptions {
  /** Sampling period of the supervisor, in ms; default 100. */
  sampleMs?: number;
  now?: () => number;
}

/**
 * Portable governor: no cgroups. One shared sampler reads /proc once per period for every attached
 * task; CPU is held to budget with a SIGSTOP/SIGCONT duty cycle; a tree over its memory budget is
 * killed. Processes carry a `SHOAL_GOVERNOR_GROUP` marker so cleanup finds them after a restart.
 */
export class FallbackGovernor implements ResourceGovernor {
  readonly kind = 'fallback' as const;
  private readonly prefix: string;
  private readonly tasks = new Map<string, FallbackTask>();
  private readonly sampling = new Set<FallbackTask>();
  private timer: NodeJS.Timeout | null = null;
  private readonly ctx: FallbackContext;
  private readonly markerCache: MarkerCache;
  /** The /proc snapshot being read, shared by everyone who asks meanwhile (a burst of releases reads /proc once). */
  private reading?: Promise<Map<number, ProcStat>>;

  constructor(private readonly options: FallbackOptions = {}) {
    this.prefix = options.prefix ?? 'shoal';
    assertPrefix(this.prefix);
    this.markerCache = new MarkerCache(options.procRoot ?? '/proc', GROUP_ENV);
    this.ctx = {
      procRoot: options.procRoot ?? '/proc',
      killTimeoutMs: options.killTimeoutMs ?? 10_000,
      now: options.now ?? Date.now,
      setSampling: (task, on) => this.setSampling(task, on),
      forget: (task) => {
        this.setSampling(task, false);
        this.tasks.delete(task.taskKey);
      },
      markers: (procs) => this.markerCache.markers(procs),
      snapshot: () => (this.reading ??= snapshotProcesses(this.ctx.procRoot).finally(() => (this.reading = undefined))),
    };
  }

  async create(taskKey: string, budget: Budget): Promise<GovernedTask> {
    assertTaskKey(taskKey);
    const resolved = resolveBudget(budget);
    if (this.tasks.has(taskKey)) throw new ConflictError(`task ${taskKey} is already governed`);
    const task = new FallbackTask(taskKey, this.marker(taskKey), resolved, this.ctx);
    this.tasks.set(taskKey, task);
    return task;
  }

  /**
   * Finds the processes of `taskKey` by their marker (and the entry shell above them, kept idle as
   * after wrapArgv + attach); a marked process that escaped its tree is supervised too.
   */
  async adopt(taskKey: string, budget: Budget): Promise<GovernedTask> {
    assertTaskKey(taskKey);
    const resolved = resolveBudget(budget);
    if (this.tasks.has(taskKey)) throw new ConflictError(`task ${taskKey} is already governed`);
    const marker = this.marker(taskKey);
    const procs = await this.ctx.snapshot();
    const marked = new Set<number>();
    for (const [pid, m] of await this.markerCache.markers(procs)) if (m === marker) marked.add(pid);
    if (marked.size === 0) throw new NotFoundError(`no process carries the group marker ${marker}`);
    const task = new FallbackTask(taskKey, marker, resolved, this.ctx);
    // The entry shell exported the marker to its children only (its own environ predates it): the
    // unmarked parent of a marked process that has one (not init) is the idle entry shell.
    const roots = [...marked].filter((pid) => !marked.has(procs.get(pid)?.ppid ?? -1));
    const shells = roots.map((pid) => procs.get(pid)?.ppid ?? 0).filter((pp) => pp > 1 && procs.has(pp) && !marked.has(pp));
    task.adopt([...new Set([...shells, ...roots])], shells[0] ?? null);
    this.tasks.set(taskKey, task);
    return task;
  }

  async cleanupAll(except: ReadonlySet<string> = new Set()): Promise<CleanupReport> {
    const report: CleanupReport = { killedPids: [], removedGroups: [] };
    for (const task of [...this.tasks.values()]) {
      if (except.has(task.taskKey)) continue;
      const pids = await task.livePids();
      await task.release();
      report.killedPids.push(...pids);
      report.removedGroups.push(task.taskKey);
    }
    const strayKeys = new Set<string>();
    const killed = await killUntilEmpty(
      async () => {
        const found: number[] = [];
        for (const [pid, marker] of await this.markerCache.markers(await this.ctx.snapshot())) {
          const key = this.keyOf(marker);
          if (key && !except.has(key)) {
            found.push(pid);
            strayKeys.add(key);
          }
        }
        return found;
      },
      this.ctx.killTimeoutMs,
      `${this.prefix}/*`,
    );
    report.killedPids.push(...killed);
    for (const key of strayKeys) if (!report.removedGroups.includes(key)) report.removedGroups.push(key);
    return report;
  }

  private marker(taskKey: string): string {
    return `${this.prefix}/${taskKey}`;
  }

  private keyOf(marker: string | null): string | null {
    return marker?.startsWith(`${this.prefix}/`) ? marker.slice(this.prefix.length + 1) : null;
  }

  private setSampling(task: FallbackTask, on: boolean): void {
    if (on) this.sampling.add(task);
    else this.sampling.delete(task);
    if (this.sampling.size > 0 && !this.timer) this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.tick(), this.options.sampleMs ?? 100);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      if (this.sampling.size > 0) {
        const procs = await this.ctx.snapshot();
        await Promise.all([...this.sampling].map((t) => t.onSample(procs).catch(() => undefined)));
      }
    } finally {
      this.timer = null;
      if (this.sampling.size > 0) this.schedule();
    }
  }
}
