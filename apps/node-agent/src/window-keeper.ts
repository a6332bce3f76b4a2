import { KeyedLock, type TmuxDriver } from './tmux/index.js';

/** Finished panes remembered (far more than are ever kept open). */
const FINISHED_PANES_KEPT = 10_000;

/**
 * Housekeeping of the windows of team sessions, serialised per session: one window per role,
 * the lobby gone, at most `keepDead` finished windows kept for operators to read. A window is
 * closed only once its attempt has read its exit status: a pane that just started and died may
 * not be known to its attempt yet.
 */
export class WindowKeeper {
  private readonly finished = new Set<string>();
  private readonly pruneQueued = new Set<string>();
  private readonly lock = new KeyedLock();

  constructor(
    private readonly tmux: () => TmuxDriver,
    private readonly keepDead: number,
    private readonly warn: (message: string) => void,
  ) {}

  /** Records that the attempt of `paneId` has read its exit status: its window may now close. */
  finishedPane(paneId: string | undefined): void {
    if (paneId === undefined) return;
    this.finished.add(paneId);
    if (this.finished.size > FINISHED_PANES_KEPT) this.finished.delete(this.finished.values().next().value!);
  }

  /**
   * After a start: a finished window of the same role (kept so its last screen can be read) gives
   * way to the new one, and the session's lobby window goes. If another live window has the
   * role's name, the new one becomes `<role>-2`, `-3`...
   */
  tidy(session: string, windowId: string, role: string): Promise<void> {
    return this.lock.run(session, async () => {
      const tmux = this.tmux();
      if (!tmux.connected) return;
      const others = (await tmux.listWindows(session, { lobby: true, exitStatus: false })).filter((w) => w.windowId !== windowId);
      const stays = [];
      for (const w of others) {
        if (w.lobby || (w.dead && w.name === role && this.finished.has(w.paneId))) await tmux.killWindow(w.windowId);
        else stays.push(w.name);
      }
      const name = freeName(new Set(stays), role);
      if (name !== role) await tmux.run('rename-window', ['-t', windowId, name]);
    });
  }

  /** After a finish: queues one pruning of `session` to the newest `keepDead` finished windows; a burst of finishes shares one. */
  prune(session: string): void {
    if (this.pruneQueued.has(session)) return;
    this.pruneQueued.add(session);
    void this.lock.run(session, () => {
      this.pruneQueued.delete(session);
      return this.pruneDead(session);
    });
  }

  private async pruneDead(session: string): Promise<void> {
    const tmux = this.tmux();
    if (!tmux.connected) return;
    try {
      const age = (id: string) => Number(id.slice(1));
      const dead = (await tmux.listWindows(session)).filter((w) => w.dead).sort((a, b) => age(b.windowId) - age(a.windowId));
      for (const w of dead.slice(this.keepDead)) if (this.finished.has(w.paneId)) await tmux.killWindow(w.windowId);
    } catch (e) {
      this.warn(`could not prune finished windows of ${session}: ${(e as Error).message}`);
    }
  }
}

/** `wanted`, or `wanted-2`, `wanted-3`... whichever is not in `taken`. */
export function freeName(taken: ReadonlySet<string>, wanted: string): string {
  if (!taken.has(wanted)) return wanted;
  for (let n = 2; ; n++) if (!taken.has(`${wanted}-${n}`)) return `${wanted}-${n}`;
}
