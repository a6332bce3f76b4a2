import type { TmuxRun } from './control-client.js';
import { PANE_STATUS_FORMAT, parsePaneStatusLine } from './formats.js';
import type { PaneExit } from './types.js';
import { readZombieExit } from './zombie-exit.js';

interface Waiter {
  resolve(exit: PaneExit): void;
}

/**
 * Detects dead panes. A check is one `list-panes -a` through the control client; checks run when
 * poked (the pane-died hook doorbell, window-close notifications) and, while anyone waits, on a
 * fallback poll. Every pane seen dead for the first time is reported once through `onExit`.
 */
export class ExitWatcher {
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly reported = new Map<string, PaneExit>();
  /** Panes seen dead before tmux reaped them (no status yet) -> when first seen so. */
  private readonly unreaped = new Map<string, number>();
  private checking?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly run: TmuxRun,
    private readonly pollMs: number,
    private readonly onExit: (paneId: string, exit: PaneExit) => void,
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
    private readonly reapGraceMs = 5000,
    private readonly readZombie: (pid: number) => Promise<PaneExit | undefined> = readZombieExit,
  ) {}

  /** Resolves when `paneId` is dead (or gone); resolves at once if it already is. */
  wait(paneId: string): Promise<PaneExit> {
    const promise = new Promise<PaneExit>((resolve) => {
      const list = this.waiters.get(paneId) ?? [];
      list.push({ resolve });
      this.waiters.set(paneId, list);
    });
    this.arm();
    this.poke();
    return promise;
  }

  /**
   * Exit of a dead pane as best known: what was reported, or for a pane tmux shows dead without a
   * status, the zombie's status from /proc.
   */
  async resolveDead(paneId: string, pid: number, exit: PaneExit): Promise<PaneExit> {
    if (exit.exitCode !== null || exit.signal) return exit;
    return this.reported.get(paneId) ?? (await this.readZombie(pid)) ?? exit;
  }

  /** Number of panes someone waits for. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Requests a check soon; concurrent pokes collapse into at most one extra check. */
  poke(): void {
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = this.check()
      .catch((err) => this.onError(err))
      .finally(() => {
        this.checking = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Resolves every waiter as lost (the tmux server is gone). */
  serverGone(): void {
    for (const list of this.waiters.values()) for (const w of list) w.resolve({ exitCode: null, lost: true });
    this.waiters.clear();
    this.unreaped.clear();
    this.arm();
  }

  /** Forgets which panes were reported (a new server reuses pane ids). */
  forget(): void {
    this.reported.clear();
    this.unreaped.clear();
  }

  /** Stops polling; waiters are resolved as lost. */
  dispose(): void {
    this.serverGone();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.waiters.size > 0 && !this.timer) {
      this.timer = setInterval(() => this.poke(), this.pollMs);
      this.timer.unref();
    } else if (this.waiters.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async check(): Promise<void> {
    const askedFor = new Set(this.waiters.keys());
    const lines = await this.run('list-panes', ['-a', '-F', PANE_STATUS_FORMAT]);
    const seen = new Set<string>();
    for (const line of lines) {
      const pane = parsePaneStatusLine(line);
      seen.add(pane.paneId);
      if (!pane.dead) continue;
      const exit = await this.reaped(pane.paneId, pane.pid, pane.exit);
      if (!exit) continue;
      this.settle(pane.paneId, exit);
      if (!this.reported.has(pane.paneId)) {
        this.reported.set(pane.paneId, exit);
        this.onExit(pane.paneId, exit);
      }
    }
    // Only a pane waited for before the listing was asked for can be missing from it: a pane
    // created meanwhile (a fast task whose attempt began waiting during the round trip) is not lost.
    for (const paneId of this.waiters.keys()) if (!seen.has(paneId) && askedFor.has(paneId)) this.settle(paneId, { exitCode: null, lost: true });
    for (const paneId of this.reported.keys()) if (!seen.has(paneId)) this.reported.delete(paneId);
    for (const paneId of this.unreaped.keys()) if (!seen.has(paneId)) this.unreaped.delete(paneId);
    this.arm();
  }

  /**
   * tmux marks a pane dead when its pty closes, which can be before the child is reaped; until
   * then status and signal are empty. tmux 3.3a also loses SIGCHLD now and then (measured: ~10%
   * of kills here), leaving the child a zombie and firing no pane-died hook until another child
   * exits. A zombie's status is final, so it is read from /proc at once; without one, the pane
   * counts as dead with an unknown status after `reapGraceMs` (generous: on a loaded host tmux can
   * take hundreds of ms between the pty closing and reaping the child; the bench saw 250 ms fail).
   */
  private async reaped(paneId: string, pid: number, exit: PaneExit): Promise<PaneExit | undefined> {
    if (exit.exitCode !== null || exit.signal) {
      this.unreaped.delete(paneId);
      return exit;
    }
    const zombie = await this.readZombie(pid);
    if (zombie) {
      this.unreaped.delete(paneId);
      return zombie;
    }
    const first = this.unreaped.get(paneId);
    if (first === undefined) {
      this.unreaped.set(paneId, this.now());
      setTimeout(() => this.waiters.size > 0 && this.poke(), this.reapGraceMs + 5).unref();
      return undefined;
    }
    return this.now() - first >= this.reapGraceMs ? { exitCode: null } : undefined;
  }

  private settle(paneId: string, exit: PaneExit): void {
    const list = this.waiters.get(paneId);
    if (!list) return;
    this.waiters.delete(paneId);
    for (const w of list) w.resolve(exit);
  }
}
