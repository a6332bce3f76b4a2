import { teamSession } from '@shoal/protocol';
import type { ControlResult } from './control-actions.js';
import type { ResourceGovernor } from './governor/index.js';
import type { TaskAttempt } from './task-attempt.js';
import type { TmuxDriver } from './tmux/index.js';

/** What the node's operator actions (stop-all, reset, emergency cleanup) act on. */
export interface OperatorActionsDeps {
  running(): TaskAttempt[];
  /** Attempts still registered (they leave once their end is reported). */
  count(): number;
  stopGraceMs(): number;
  drainWarmPool(): Promise<void>;
  /** Forgets local state (log index, usage) on reset. */
  forgetLocalState(): void;
  governor(): ResourceGovernor;
  tmux(): TmuxDriver;
}

/** The node's operator actions, apart from the executor that runs the work. */
export class OperatorActions {
  constructor(private readonly deps: OperatorActionsDeps) {}

  /** Gracefully stops every attempt (Ctrl-C, grace, kill) and waits until all exited. */
  async stopAll(reason: string): Promise<ControlResult> {
    const all = this.deps.running();
    await Promise.all(all.map((a) => a.stop('cancelled', reason)));
    const deadline = Date.now() + this.deps.stopGraceMs() + 10_000;
    while (this.deps.count() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.deps.drainWarmPool();
    return { ok: this.deps.count() === 0, message: `stopped ${all.length} task(s)`, affected: all.length };
  }

  /**
   * Stops every task, then forgets local state: log index, usage. The attempt claims stay: an
   * attempt started here is never started here again, reset or not.
   */
  async reset(): Promise<ControlResult> {
    const stopped = await this.stopAll('stopped by operator (reset)');
    this.deps.forgetLocalState();
    return { ...stopped, message: `${stopped.message}; local state forgotten` };
  }

  /** Kills everything Shoal started on this host: sessions, process trees, groups. */
  async emergencyCleanup(): Promise<ControlResult> {
    const all = this.deps.running();
    for (const a of all) await a.stop('cancelled', 'emergency cleanup');
    await this.deps.drainWarmPool();
    const report = await this.deps.governor().cleanupAll();
    const sessions = new Set(all.map((a) => teamSession(a.task.team)));
    await this.deps.tmux().killServer().catch(() => undefined);
    return { ok: true, message: `killed ${report.killedPids.length} process(es), ${report.removedGroups.length} group(s), tmux server of ${sessions.size} session(s)`, affected: all.length };
  }
}
