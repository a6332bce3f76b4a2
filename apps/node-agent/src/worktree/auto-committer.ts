import type { CommitContext } from './commit-message.js';
import type { AutoCommit, TaskWorktree } from './task-worktree.js';

/** Where an auto-committer reports what it did. */
export interface AutoCommitterEvents {
  committed(commit: AutoCommit): void;
  failed(error: Error): void;
}

/**
 * Commits a task's worktree every `everyMs` while the agent runs, and once more when it ends.
 * Commits never overlap; a failed periodic commit is reported and retried at the next tick.
 */
export class AutoCommitter {
  private timer?: NodeJS.Timeout;
  private chain: Promise<unknown> = Promise.resolve();
  private finished = false;

  constructor(
    readonly worktree: TaskWorktree,
    private readonly context: Omit<CommitContext, 'kind' | 'ending'>,
    private readonly everyMs: number,
    private readonly events: AutoCommitterEvents,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.commitNow('periodic'), this.everyMs);
    this.timer.unref();
  }

  /** Commits pending changes now (serialised with other commits); null when nothing changed. */
  commitNow(kind: CommitContext['kind'], ending?: string): Promise<AutoCommit | null> {
    const next = this.chain.then(async () => {
      try {
        const c = await this.worktree.commit({ ...this.context, kind, ending });
        if (c) this.events.committed(c);
        return c;
      } catch (e) {
        this.events.failed(e as Error);
        return null;
      }
    });
    this.chain = next;
    return next;
  }

  /** Stops periodic commits and waits for one in flight. */
  async stopPeriodic(): Promise<void> {
    clearInterval(this.timer);
    await this.chain;
  }

  /** Stops the timer and makes the final commit (also after a kill or cancel); idempotent. */
  async finish(ending: string): Promise<AutoCommit | null> {
    clearInterval(this.timer);
    if (this.finished) return null;
    this.finished = true;
    return this.commitNow('final', ending);
  }
}
