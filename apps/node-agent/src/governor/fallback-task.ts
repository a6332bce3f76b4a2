import { assertCpuPercent, cpuPercentOf, resolveBudget, type ResolvedBudget } from './budget.js';
import { CpuBucket } from './cpu-bucket.js';
import { buildFallbackArgv } from './enter-argv.js';
import { killUntilEmpty, signalPid } from './kill-loop.js';
import { CLOCK_TICKS_PER_SECOND, descendantsOf, readRssKb, type ProcStat } from './proc-fs.js';
import type { Budget, GovernedTask, Usage, Verdict } from './types.js';

const MS_PER_TICK = 1000 / CLOCK_TICKS_PER_SECOND;

/** What a fallback task needs from its governor. */
export interface FallbackContext {
  procRoot: string;
  killTimeoutMs: number;
  now: () => number;
  /** Called when the task starts or stops needing samples. */
  setSampling(task: FallbackTask, on: boolean): void;
  /** Called after release so the governor forgets the task. */
  forget(task: FallbackTask): void;
  /** A /proc snapshot; callers arriving while one is being read share it. */
  snapshot(): Promise<Map<number, ProcStat>>;
  /** Group markers of the given processes (cached per process). */
  markers(procs: Map<number, ProcStat>): Promise<Map<number, string | null>>;
}

/**
 * One task attempt governed without cgroups: the supervisor samples its process tree from /proc,
 * SIGSTOPs/SIGCONTs it to hold CPU to budget, and kills it when its RSS goes over budget.
 */
export class FallbackTask implements GovernedTask {
  /** Known members: pid -> start time (guards against pid reuse). */
  private readonly members = new Map<number, number>();
  private readonly lastTicks = new Map<number, number>();
  /** True once wrapArgv was used: the attached root is then the idle entry shell. */
  private wrapped = false;
  /** The idle entry shell: never stopped, since tmux resumes a stopped pane process and its group. */
  private idleRoot: number | null = null;
  private readonly bucket: CpuBucket;
  private stopped = false;
  private killing = false;
  private cpuMsSinceUsage = 0;
  private usageAt: number;
  private rssKb = 0;
  private memoryVerdict: Verdict = null;

  constructor(
    readonly taskKey: string,
    private readonly marker: string,
    private budget: ResolvedBudget,
    private readonly ctx: FallbackContext,
  ) {
    this.bucket = new CpuBucket(budget.cpuPercent, ctx.now());
    this.usageAt = ctx.now();
  }

  wrapArgv(argv: string[]): string[] {
    const wrapped = buildFallbackArgv(this.marker, argv);
    this.wrapped = true;
    return wrapped;
  }

  attach(pid: number): void {
    if (!Number.isSafeInteger(pid) || pid <= 1) throw new RangeError(`invalid pid ${pid}`);
    this.members.set(pid, -1);
    if (this.wrapped) this.idleRoot = pid;
    this.ctx.setSampling(this, true);
  }

  /**
   * Supervises processes a previous governor started (see FallbackGovernor.adopt); `idleRoot` is
   * their entry shell, never stopped (as after wrapArgv + attach).
   */
  adopt(pids: number[], idleRoot: number | null): void {
    for (const pid of pids) this.members.set(pid, -1);
    this.wrapped = true;
    this.idleRoot = idleRoot;
    this.ctx.setSampling(this, true);
  }

  /** Feeds one host-wide /proc snapshot to the supervisor. */
  async onSample(procs: Map<number, ProcStat>): Promise<void> {
    if (this.killing) return;
    const tree = this.refreshMembers(procs);
    let usedTicks = 0;
    for (const pid of tree) {
      const ticks = procs.get(pid)!.cpuTicks;
      usedTicks += Math.max(0, ticks - (this.lastTicks.get(pid) ?? 0));
      this.lastTicks.set(pid, ticks);
    }
    for (const pid of this.lastTicks.keys()) if (!tree.has(pid)) this.lastTicks.delete(pid);
    const usedMs = usedTicks * MS_PER_TICK;
    this.cpuMsSinceUsage += usedMs;
    const rss = await Promise.all([...tree].map((pid) => readRssKb(this.ctx.procRoot, pid)));
    this.rssKb = rss.reduce((a, b) => a + b, 0);
    if (this.rssKb > this.budget.memoryMb * 1024) {
      this.memoryVerdict = 'memory-limit-exceeded';
      await this.kill();
      return;
    }
    const decision = this.bucket.step(this.ctx.now(), usedMs);
    if (decision === 'stop') {
      for (const pid of tree) if (pid !== this.idleRoot) signalPid(pid, 'SIGSTOP');
      this.stopped = true;
    } else if (this.stopped) {
      for (const pid of tree) signalPid(pid, 'SIGCONT');
      this.stopped = false;
    }
  }

  async usage(): Promise<Usage> {
    const at = this.ctx.now();
    const cpuPercent = cpuPercentOf(this.cpuMsSinceUsage * 1000, at - this.usageAt);
    this.cpuMsSinceUsage = 0;
    this.usageAt = at;
    return { cpuPercent, rssMb: this.rssKb / 1024 };
  }

  async verdict(): Promise<Verdict> {
    return this.memoryVerdict;
  }

  async setCpu(cpuPercent: number): Promise<void> {
    assertCpuPercent(cpuPercent);
    this.bucket.setCpuPercent(cpuPercent);
  }

  async resize(budget: Budget): Promise<void> {
    this.budget = resolveBudget(budget);
    this.bucket.setCpuPercent(this.budget.cpuPercent);
  }

  async kill(): Promise<void> {
    this.killing = true;
    try {
      await killUntilEmpty(() => this.livePids(), this.ctx.killTimeoutMs, this.marker);
      this.members.clear();
      this.lastTicks.clear();
      this.stopped = false;
      this.ctx.setSampling(this, false);
    } finally {
      this.killing = false;
    }
  }

  async release(): Promise<void> {
    await this.kill();
    this.ctx.forget(this);
  }

  /** Members still alive plus any process carrying this task's marker (e.g. one that escaped the tree). */
  async livePids(): Promise<number[]> {
    const procs = await this.ctx.snapshot();
    const pids = this.refreshMembers(procs);
    for (const [pid, marker] of await this.ctx.markers(procs)) if (marker === this.marker) pids.add(pid);
    return [...pids];
  }

  /**
   * Recomputes the tree from the known members and remembers every new descendant. A member
   * attached after the snapshot began (never seen yet) is kept while the process exists: a
   * snapshot read under load can predate it, and dropping it would leave the task unsupervised.
   */
  private refreshMembers(procs: Map<number, ProcStat>): Set<number> {
    for (const [pid, start] of this.members) {
      const p = procs.get(pid);
      if (!p && start === -1 && processExists(pid)) continue;
      if (!p || (start !== -1 && p.startTime !== start)) this.members.delete(pid);
    }
    const tree = descendantsOf(procs, this.members.keys());
    for (const pid of tree) this.members.set(pid, procs.get(pid)!.startTime);
    return tree;
  }
}

/** True while a process with this pid exists (signal 0 probes without sending anything). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
