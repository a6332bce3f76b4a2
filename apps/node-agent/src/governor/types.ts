/** Which enforcement mechanism a governor uses. */
export type GovernorKind = 'cgroup-v2' | 'cgroup-v1' | 'fallback';

/** Resource budget of one task attempt. */
export interface Budget {
  /** CPU as a percentage of one core (100 = one full core, 250 = two and a half cores). */
  cpuPercent: number;
  /** Memory ceiling in MiB; going above it kills the task's processes. */
  memoryMb: number;
  /** Maximum number of processes/threads (cgroup governors only); defaults to {@link DEFAULT_PIDS_MAX}. */
  pidsMax?: number;
}

/** Why a governed task's processes were killed by the governor, or `null` when they were not. */
export type Verdict = 'memory-limit-exceeded' | null;

/** A snapshot of what a governed task consumes. */
export interface Usage {
  /** Average CPU (% of one core) since the previous `usage()` call, or since creation on the first call. */
  cpuPercent: number;
  /** Resident anonymous memory of the task's processes, in MiB. */
  rssMb: number;
}

/** What `cleanupAll()` removed. */
export interface CleanupReport {
  killedPids: number[];
  /** Task keys whose groups were removed. */
  removedGroups: string[];
}

/** Enforces CPU, memory and process budgets for task attempts on this host. */
export interface ResourceGovernor {
  readonly kind: GovernorKind;
  /** Creates the group for one task attempt; `taskKey` becomes a directory under the governor's parent group. */
  create(taskKey: string, budget: Budget): Promise<GovernedTask>;
  /**
   * Takes over the group of `taskKey` left by a previous incarnation of the node-agent (its processes
   * keep running): usage, kill and release work on it as on a group this instance created. The
   * group's limits stay as written; `budget` is what they are (for later resizes).
   * @throws NotFoundError when no such group (or, for the fallback, no process of it) exists.
   */
  adopt(taskKey: string, budget: Budget): Promise<GovernedTask>;
  /**
   * Kills and removes every group/process under this governor's parent on the host (emergency
   * cleanup), except the groups whose keys are in `except` (attempts re-adopted after a restart).
   */
  cleanupAll(except?: ReadonlySet<string>): Promise<CleanupReport>;
}

/** One task attempt under a budget. */
export interface GovernedTask {
  readonly taskKey: string;
  /**
   * The argv that enters the group before running `argv`, then exec's it.
   * Built from a constant shell script with every path and argument passed positionally.
   */
  wrapArgv(argv: string[]): string[];
  /** Starts supervising the process tree rooted at `pid` (needed by the fallback; cgroup governors record it). */
  attach(pid: number): void;
  usage(): Promise<Usage>;
  /** Why the group's processes were killed, if they were. */
  verdict(): Promise<Verdict>;
  /** Changes the CPU budget (host-band throttling). */
  setCpu(cpuPercent: number): Promise<void>;
  /** Changes the whole budget (a group prepared ahead of time takes on its task's budget). */
  resize(budget: Budget): Promise<void>;
  /** Kills every process of the task (whole tree / whole group) and waits until they are gone. */
  kill(): Promise<void>;
  /** Kills, then removes the group; idempotent. */
  release(): Promise<void>;
}

/** Options shared by every governor. */
export interface GovernorOptions {
  /** Name of the parent group (directory) under each hierarchy root; default `shoal`. */
  prefix?: string;
  /** Root of /proc; default `/proc`. */
  procRoot?: string;
  /** How long kill() waits for processes to vanish, in ms; default 10 000. */
  killTimeoutMs?: number;
}

/** Default `pidsMax` when a budget does not give one: bounds fork bombs, roomy for agents and their tools. */
export const DEFAULT_PIDS_MAX = 4096;
