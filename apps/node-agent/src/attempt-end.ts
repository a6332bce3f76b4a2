import type { TaskFinished } from '@shoal/protocol';
import { DEFAULT_MEMORY_RESTARTS, afterExit } from './restart/restart-policy.js';
import type { TaskAttempt } from './task-attempt.js';
import type { AgentIdentity } from './run-as/index.js';
import type { AutoCommitter } from './worktree/index.js';

/** What following an attempt to its end needs from the executor. */
export interface AttemptEndDeps {
  /** The attempt the node runs now under a `run/task` key (a restart replaces it). */
  current(key: string): TaskAttempt | undefined;
  /** Takes the attempt out of the node's table. */
  forget(attempt: TaskAttempt): void;
  /** Starts the agent again in its window (same attempt, a new process and span). */
  relaunch(attempt: TaskAttempt, identity: AgentIdentity | undefined): Promise<TaskAttempt>;
  /** Records the running attempt on disk (for re-adoption). */
  persist(attempt: TaskAttempt): void;
  /** Removes the attempt's record once its end is reported. */
  removeRecord(result: TaskFinished): void;
  /** The screen a `done_when: idle` agent ended on, if that is how it ended. */
  finalScreen(attempt: TaskAttempt): string | undefined;
  /** Window housekeeping: the pane ended; the session's dead windows may go. */
  paneEnded(paneId: string | undefined): void;
  pruneSession(session: string): void;
  /** Hands the end to the outbox (resolves once on disk). */
  report(result: TaskFinished): Promise<void>;
  /** After an unprivileged attempt: worktree back, the uid's processes killed, its home removed, the uid freed. */
  releaseIdentity(what: string, identity: AgentIdentity, committer?: AutoCommitter): Promise<void>;
  forgetUsage(key: string): void;
  /** Notes a line on the node log and the task's output. */
  note(attempt: TaskAttempt, text: string): void;
  log(message: string): void;
  error(message: string): void;
}

/**
 * Waits for the agent to end; restarts it in the same window when its memory policy or a periodic
 * restart says so; then makes the worktree's final commit (also after a kill or cancel) and reports.
 */
export async function followToEnd(first: TaskAttempt, deps: AttemptEndDeps, committer?: AutoCommitter, identity?: AgentIdentity): Promise<void> {
  let attempt = first;
  let memoryRestarts = 0;
  try {
    for (;;) {
      const result = await attempt.wait();
      deps.paneEnded(attempt.paneId);
      const finalScreen = deps.finalScreen(attempt);
      if (finalScreen !== undefined && result.outcome === 'succeeded') result.outputTail = finalScreen; // done_when: idle: the screen it ended on
      const next = afterExit({
        verdict: attempt.verdict,
        stoppedOnPurpose: attempt.stopRequested,
        restartRequested: attempt.restartReason,
        policy: attempt.task.onMemoryExceeded ?? 'fail',
        memoryRestartsDone: memoryRestarts,
        maxMemoryRestarts: attempt.task.memoryRestarts ?? DEFAULT_MEMORY_RESTARTS,
      });
      if (next.action === 'restart' && deps.current(attempt.key) === attempt) {
        if (next.countsAsMemoryRestart) memoryRestarts += 1;
        deps.note(attempt, next.reason);
        try {
          attempt = await deps.relaunch(attempt, identity);
          deps.persist(attempt);
          continue;
        } catch (e) {
          result.outcome = 'failed';
          result.reason = `${next.reason}, but the restart failed: ${(e as Error).message}`.slice(0, 2000);
        }
      }
      await committer?.finish(result.reason ?? result.outcome);
      deps.log(`${attempt.key}#${attempt.task.attempt} ${result.outcome} (exit ${result.exitCode}${result.reason ? `: ${result.reason}` : ''})`);
      await deps.report(result);
      deps.removeRecord(result);
      deps.pruneSession(attempt.session);
      return;
    }
  } catch (e) {
    deps.error(`${attempt.key} watch failed: ${(e as Error).message}`);
    await committer?.finish('watch failed');
  } finally {
    deps.forgetUsage(attempt.key);
    if (identity) await deps.releaseIdentity(attempt.key, identity, committer);
    if (deps.current(attempt.key) === attempt) deps.forget(attempt);
  }
}
