import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExecutionError } from '@shoal/protocol';
import type { GovernedTask } from '../governor/index.js';
import { killUntilEmpty } from '../governor/kill-loop.js';
import { type AgentUser, assertRangeUnused, resolveAgentUser } from './agent-user.js';
import { findSetpriv, privilegeDropArgv, withPrivilegeDrop } from './privilege-drop.js';
import { parseProcOwner, processesByUid } from './proc-uids.js';
import { inRange, UidPool, type UidRange } from './uid-pool.js';

/** Options of {@link RunAs.open}. */
export interface RunAsOptions {
  /** `SHOAL_RUN_AS`: the user whose group every agent gets. */
  user: string;
  /** `SHOAL_AGENT_UIDS`: one uid of this range per running attempt. */
  uids: UidRange;
  /** The node's data dir: made 0711 (agents reach their homes and worktrees, list nothing). */
  dataDir: string;
  procRoot?: string;
  /** How long killing an agent uid's processes may take; default 10 000 ms. */
  killTimeoutMs?: number;
  passwdFile?: string;
  /** The node-agent's own uid (default `process.getuid()`; tests pass another). */
  selfUid?: number;
}

/**
 * Runs agents unprivileged (`SHOAL_RUN_AS`): every running attempt gets its own uid from a pool,
 * in the run-as user's group, with a scratch HOME only it can enter. Its processes join their
 * resource group as root, then drop to that uid (see {@link privilegeDropArgv}); cgroup files,
 * the node's credentials, logs and other attempts' homes and worktrees are out of reach, and every
 * process of the uid belongs to the attempt, so its end kills them all (escaped `setsid` children too).
 */
export class RunAs {
  private readonly pool: UidPool;
  /** Uids found with processes at start (an earlier node-agent's agents): held until reaped or adopted. */
  private readonly leftovers = new Set<number>();

  private constructor(
    readonly user: AgentUser,
    private readonly setpriv: string,
    readonly homesDir: string,
    private readonly options: RunAsOptions,
  ) {
    this.pool = new UidPool(options.uids);
  }

  /**
   * Resolves the user, finds setpriv, sets the data dir's modes, holds uids that still have
   * processes, and checks that an agent uid can reach its home.
   * @throws Error saying what to fix (missing user, range holding users, unreachable data dir).
   */
  static async open(options: RunAsOptions): Promise<RunAs> {
    const self = options.selfUid ?? process.getuid?.();
    if (self !== 0) throw new Error(`SHOAL_RUN_AS=${options.user}: dropping to an agent uid needs root, and this node-agent runs as uid ${self}; run it as root or set SHOAL_RUN_AS=off`);
    const user = await resolveAgentUser(options.user);
    await assertRangeUnused(options.uids, user, options.passwdFile);
    const setpriv = await findSetpriv();
    const homesDir = await prepareDataDir(options.dataDir);
    const runAs = new RunAs(user, setpriv, homesDir, options);
    for (const uid of (await runAs.processes((u) => inRange(options.uids, u))).keys()) {
      runAs.pool.hold(uid);
      runAs.leftovers.add(uid);
    }
    const probe = { uid: options.uids.first, gid: user.gid };
    if (!(await runAs.canEnter(probe, homesDir))) {
      throw new Error(
        `SHOAL_RUN_AS=${user.name}: the data dir ${options.dataDir} is not reachable by unprivileged agents (${await blockingAncestor(homesDir)}); ` +
          'set SHOAL_DATA_DIR to a directory every user can traverse (e.g. /var/lib/shoal/node) or SHOAL_RUN_AS=off',
      );
    }
    return runAs;
  }

  /** Allocates the lowest free uid and gives it a fresh HOME (0700, its own) with a private TMPDIR. */
  async acquire(): Promise<AgentIdentity> {
    const uid = this.pool.allocate();
    if (uid === undefined) {
      throw new ExecutionError(`no free agent uid: all ${this.options.uids.last - this.options.uids.first + 1} uids of SHOAL_AGENT_UIDS are in use`, true);
    }
    const identity = new AgentIdentity(this, uid, this.user.gid, join(this.homesDir, String(uid)));
    try {
      // No process can hold a free uid: it was freed only once its last process was gone, and only root makes new ones.
      await rm(identity.home, { recursive: true, force: true });
      await mkdir(join(identity.home, 'tmp'), { recursive: true, mode: 0o700 });
      await Promise.all([identity.home, join(identity.home, 'tmp')].map((d) => chown(d, uid, this.user.gid).then(() => chmod(d, 0o700))));
      return identity;
    } catch (e) {
      this.pool.free(uid);
      throw e;
    }
  }

  /** The identity of an attempt re-adopted after a node-agent restart (its uid read from its process). */
  adopt(uid: number): AgentIdentity {
    this.pool.hold(uid);
    this.leftovers.delete(uid);
    return new AgentIdentity(this, uid, this.user.gid, join(this.homesDir, String(uid)));
  }

  /**
   * The agent uid of a re-adopted pane: its process's, or (fallback governor: the pane runs the
   * root entry shell) that of one of its children. Read from /proc status, which the agent cannot
   * forge (unlike its environment); undefined when no process there runs under a uid of the pool.
   */
  async uidOfPane(pid: number): Promise<number | undefined> {
    const procRoot = this.options.procRoot ?? '/proc';
    const children = (await readFile(join(procRoot, String(pid), 'task', String(pid), 'children'), 'utf8').catch(() => '')).split(/\s+/).filter(Boolean).map(Number);
    for (const p of [pid, ...children]) {
      const owner = parseProcOwner(p, await readFile(join(procRoot, String(p), 'status'), 'utf8').catch(() => ''));
      const uid = owner?.uids[0];
      if (uid !== undefined && owner!.uids.every((u) => u === uid) && inRange(this.options.uids, uid)) return uid;
    }
    return undefined;
  }

  /** Uids that had processes when the node-agent started and were not adopted since. */
  leftoverUids(): number[] {
    return [...this.leftovers].sort((a, b) => a - b);
  }

  /** Kills the processes of leftover uids not adopted and frees them (after re-adoption decided). */
  async reapLeftovers(): Promise<number[]> {
    const killed: number[] = [];
    for (const uid of this.leftoverUids()) {
      await new AgentIdentity(this, uid, this.user.gid, join(this.homesDir, String(uid))).release();
      this.leftovers.delete(uid);
      killed.push(uid);
    }
    return killed;
  }

  /** Argv prefix that drops to `uid` (see {@link privilegeDropArgv}). */
  dropArgv(uid: number): string[] {
    return privilegeDropArgv(this.setpriv, { uid, gid: this.user.gid });
  }

  /** Live processes by agent uid. */
  processes(wanted: (uid: number) => boolean): Promise<Map<number, number[]>> {
    return processesByUid(this.options.procRoot ?? '/proc', wanted);
  }

  /** SIGKILLs every process of `uid` until none is left; returns the pids killed. */
  killUid(uid: number): Promise<number[]> {
    return killUntilEmpty(async () => (await this.processes((u) => u === uid)).get(uid) ?? [], this.options.killTimeoutMs ?? 10_000, `agent uid ${uid}`);
  }

  /** Frees a uid whose processes are gone. */
  free(uid: number): void {
    this.pool.free(uid);
  }

  /** True when `who` can chdir into `dir` (checked by doing it, so ACLs and every parent count). */
  canEnter(who: { uid: number; gid: number }, dir: string): Promise<boolean> {
    const argv = [...privilegeDropArgv(this.setpriv, who), 'env', `--chdir=${dir}`, 'true'];
    return new Promise((resolve) => execFile(argv[0]!, argv.slice(1), { timeout: 10_000 }, (err) => resolve(!err)));
  }
}

/** One running attempt's unprivileged identity: its uid, the shared gid and its scratch HOME. */
export class AgentIdentity {
  constructor(
    private readonly runAs: RunAs,
    readonly uid: number,
    readonly gid: number,
    readonly home: string,
  ) {}

  /**
   * Variables the agent gets under its task's own: HOME, USER/LOGNAME (the run-as user's name: the
   * uid has no passwd entry), TMPDIR in the home, and git's `safe.directory` so the agent's own
   * git works in its worktree (owned by its uid, the repository by root).
   */
  env(): Record<string, string> {
    const name = this.runAs.user.name;
    return { HOME: this.home, USER: name, LOGNAME: name, TMPDIR: join(this.home, 'tmp'), GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' };
  }

  /** The governed task with the privilege drop in its argv and this uid's processes killed with it. */
  govern(governed: GovernedTask): GovernedTask {
    return withPrivilegeDrop(governed, this.runAs.dropArgv(this.uid), async () => {
      await this.killProcesses();
    });
  }

  /** @throws ExecutionError when this uid cannot enter `cwd`. */
  async assertCwd(cwd: string): Promise<void> {
    if (await this.runAs.canEnter(this, cwd)) return;
    throw new ExecutionError(
      `cwd ${cwd} is not accessible to the unprivileged agent user uid ${this.uid} (${this.runAs.user.name}'s group, gid ${this.gid}; ${await blockingAncestor(cwd)}); make it readable or run with SHOAL_RUN_AS=off`,
      false,
    );
  }

  /** Kills every process of this uid; returns their pids. */
  killProcesses(): Promise<number[]> {
    return this.runAs.killUid(this.uid);
  }

  /** Kills what is left of the uid, removes the home, frees the uid (kept held if processes survive). */
  async release(): Promise<void> {
    await this.killProcesses();
    await rm(this.home, { recursive: true, force: true });
    this.runAs.free(this.uid);
  }
}

/** Makes the data dir 0711 (root-owned), its logs 0700, the homes and worktrees parents 0711, its credentials 0600; returns the homes dir. */
export async function prepareDataDir(dataDir: string): Promise<string> {
  const modes: [string, number][] = [
    [dataDir, 0o711],
    [join(dataDir, 'logs'), 0o700],
    [join(dataDir, 'homes'), 0o711],
    [join(dataDir, 'worktrees'), 0o711],
  ];
  for (const [dir, mode] of modes) {
    await mkdir(dir, { recursive: true, mode });
    await chmod(dir, mode);
  }
  await chmod(join(dataDir, 'credentials.json'), 0o600).catch(() => undefined);
  return join(dataDir, 'homes');
}

/** Words naming the first directory on the way to `path` that others cannot traverse (best effort). */
async function blockingAncestor(path: string): Promise<string> {
  const chain: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    chain.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const dir of chain) {
    const s = await stat(dir).catch(() => undefined);
    if (!s) return `${dir} does not exist`;
    if (!s.isDirectory()) return `${dir} is not a directory`;
    if ((s.mode & 0o001) === 0) return `${dir} is mode ${(s.mode & 0o777).toString(8).padStart(4, '0')}, not searchable by other users`;
  }
  return 'a directory on the way is not searchable by this uid';
}
