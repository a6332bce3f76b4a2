import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Budget, GovernedTask, ResourceGovernor } from '../governor/index.js';
import { type NewWindowOptions, type NewWindowResult, type TmuxDriver, validateNewWindow } from '../tmux/index.js';
import { encodeWarmSpec, GO, warmArgv } from './warm-spec.js';

/** Session holding the warm windows until they are moved to their team's session. */
export const WARM_SESSION = 'Shoal-warm';

/** Budget of a warm shell until it takes on its task's. */
const WARM_BUDGET: Budget = { cpuPercent: 100, memoryMb: 256 };

/** A slot not ready after this long (its shell died, or never came up) is replaced. */
const STALE_AFTER_MS = 10_000;

/** Slots failing this many times in a row (never ready, or not created) turn the pool off. */
const MAX_FAILURES_IN_A_ROW = 3;

/** What the pool needs from the node-agent. */
export interface WarmPoolDeps {
  tmux: TmuxDriver;
  governor: ResourceGovernor;
  /** Directory for the FIFOs and spec files. */
  dir: string;
  /** Directory of the task logs (a warm window's log is renamed to its task's). */
  logDir: string;
  /** Slots kept ready. */
  size: number;
  now(): number;
  warn(message: string): void;
}

/** A task started in a warm window: the window, its process and the group it already runs in. */
export interface WarmStart extends NewWindowResult {
  governed: GovernedTask;
  /** Removes the slot's FIFO and spec; call once the process has ended. */
  dispose(): void;
}

interface Slot {
  key: string;
  governed: GovernedTask;
  windowId: string;
  paneId: string;
  pid: number;
  fifo: string;
  spec: string;
  log: string;
  createdAt: number;
}

/**
 * Windows started ahead of time: each runs a constant shell script that has already joined its
 * resource group and waits on a FIFO. A task start then costs a budget write, a spec file, one
 * byte on the FIFO and a `move-window`, instead of a fork, a shell, group migrations and pipe-pane
 * on the critical path. The shell reads its task's argv, environment and directory from the spec
 * file and exec's the argv (see `WARM_SCRIPT`); the window's log, already piped, is renamed
 * to the task's log. The pool refills in the background; `drain()` empties it (stop-all, shutdown).
 */
export class WarmPool {
  private readonly ready: Slot[] = [];
  private warming = 0;
  /** Bumped by drain(): slots warmed for an earlier generation are destroyed, not kept. */
  private generation = 0;
  private failures = 0;
  /** Slots being warmed (drain waits for them, then destroys them). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Why the pool turned itself off (slots kept failing); tasks then start cold. */
  offBecause?: string;

  constructor(private readonly deps: WarmPoolDeps) {}

  /** Slots ready to take a task. */
  get size(): number {
    return this.ready.length;
  }

  /** Warms slots in the background until `size` are ready or being prepared (not once the pool turned itself off). */
  fill(): void {
    while (this.deps.size > 0 && !this.offBecause && this.ready.length + this.warming < this.deps.size) {
      this.warming += 1;
      const generation = this.generation;
      const warming: Promise<void> = this.warmOne()
        .then(async (slot) => {
          if (generation === this.generation) this.ready.push(slot);
          else await this.destroy(slot);
        })
        .catch((e: Error) => this.failed(`could not warm a window: ${e.message}`))
        .finally(() => {
          this.warming -= 1;
          this.inFlight.delete(warming);
        });
      this.inFlight.add(warming);
    }
  }

  /**
   * Starts a task in a ready slot: the same input as a cold `newWindow` (validated the same way),
   * plus the budget. Resolves undefined when no slot is ready, the log file already exists (a
   * restart appends to it) or the slot failed before the task started: the caller then starts the
   * task cold (whose `newWindow` then validates the input). Rejects only on bad input while a slot
   * is ready, or when the task runs but its window could not be moved.
   */
  async start(window: NewWindowOptions & { budget: Budget }): Promise<WarmStart | undefined> {
    if (window.logFile === undefined || existsSync(window.logFile)) return undefined;
    if (this.ready.length === 0) {
      this.fill();
      return undefined;
    }
    await validateNewWindow(window);
    const spec = encodeWarmSpec({ argv: window.argv, cwd: window.cwd, env: window.env ?? {} });
    const taken = this.take();
    if (!taken) {
      this.fill();
      return undefined;
    }
    const { slot, fd } = taken;
    try {
      await slot.governed.resize(window.budget);
      writeFileSync(slot.spec, spec, { mode: 0o600 });
      renameSync(slot.log, window.logFile);
      writeSync(fd, `${GO}\n`);
    } catch (e) {
      await this.destroy(slot);
      this.failed(`warm window ${slot.key} could not take a task, starting it cold: ${(e as Error).message}`);
      return undefined;
    } finally {
      closeSync(fd);
      this.fill();
    }
    try {
      await this.deps.tmux.moveWindow(slot.windowId, window.session, window.window);
    } catch (e) {
      await this.destroy(slot);
      throw e;
    }
    const { windowId, paneId, pid, governed } = slot;
    governed.attach(pid);
    return { windowId, paneId, pid, governed, windowName: window.window, dispose: () => removeFiles(slot) };
  }

  /** Removes the FIFOs, specs and warm logs a previous node-agent left (its shells and groups are gone with its cleanup). */
  clearLeftovers(): void {
    rmSync(this.deps.dir, { recursive: true, force: true });
    const logs = existsSync(this.deps.logDir) ? readdirSync(this.deps.logDir) : [];
    for (const name of logs) if (/^warm-[0-9a-f]+\.log$/.test(name)) rmSync(join(this.deps.logDir, name), { force: true });
  }

  /** Ends every ready slot (window, process, group, files) and the warm session; `fill()` starts again. Returns how many ended. */
  async drain(): Promise<number> {
    this.generation += 1;
    await Promise.allSettled([...this.inFlight]);
    const slots = this.ready.splice(0);
    await Promise.all(slots.map((s) => this.destroy(s)));
    if (this.deps.tmux.connected) await this.deps.tmux.killSession(WARM_SESSION).catch(() => undefined);
    return slots.length;
  }

  /** Pops the first slot whose shell waits on its FIFO (opened for writing); stale ones are replaced. */
  private take(): { slot: Slot; fd: number } | undefined {
    for (let i = 0; i < this.ready.length; i++) {
      const slot = this.ready[i]!;
      const fd = existsSync(slot.log) ? openWriter(slot.fifo) : undefined;
      if (fd !== undefined) {
        this.ready.splice(i, 1);
        this.failures = 0;
        return { slot, fd };
      }
      if (this.deps.now() - slot.createdAt > STALE_AFTER_MS) {
        this.ready.splice(i--, 1);
        void this.destroy(slot);
        this.failed(`warm window ${slot.key} was not ready ${STALE_AFTER_MS / 1000} s after it was started`);
      }
    }
    return undefined;
  }

  /** Counts a failed slot; too many in a row turn the pool off rather than churn windows forever. */
  private failed(reason: string): void {
    this.failures += 1;
    if (this.failures < MAX_FAILURES_IN_A_ROW) return this.deps.warn(reason);
    this.offBecause = reason;
    this.deps.warn(`warm pool off after ${this.failures} failed windows in a row (last: ${reason}); tasks start cold`);
  }

  private async warmOne(): Promise<Slot> {
    const { tmux, governor, dir, logDir } = this.deps;
    const key = `warm-${randomBytes(6).toString('hex')}`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    mkdirSync(logDir, { recursive: true });
    const files = { fifo: join(dir, `${key}.fifo`), spec: join(dir, `${key}.spec`), log: join(logDir, `${key}.log`) };
    const governed = await governor.create(key, WARM_BUDGET);
    try {
      const win = await tmux.newWindow({ session: WARM_SESSION, window: key, argv: governed.wrapArgv(warmArgv(files.fifo, files.spec)), logFile: files.log });
      return { key, governed, windowId: win.windowId, paneId: win.paneId, pid: win.pid, ...files, createdAt: this.deps.now() };
    } catch (e) {
      await governed.release().catch(() => undefined);
      removeFiles(files);
      throw e;
    }
  }

  private async destroy(slot: Slot): Promise<void> {
    await this.deps.tmux.killWindow(slot.windowId).catch(() => undefined);
    await slot.governed.release().catch((e: Error) => this.deps.warn(`could not release warm group ${slot.key}: ${e.message}`));
    removeFiles(slot);
    rmSync(slot.log, { force: true });
  }
}

/** Opens a FIFO for writing without blocking; undefined when no reader waits on it (or it is gone). */
function openWriter(fifo: string): number | undefined {
  try {
    return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
}

function removeFiles(files: { fifo: string; spec: string }): void {
  rmSync(files.fifo, { force: true });
  rmSync(files.spec, { force: true });
}
