import type { MemoryPolicy } from '@shoal/protocol';
import type { Verdict } from '../governor/index.js';

/** Default number of memory restarts within one attempt under `restart`. */
export const DEFAULT_MEMORY_RESTARTS = 3;

/** How the agent's process ended, as far as restarting is concerned. */
export interface ExitFacts {
  verdict: Verdict;
  /** An operator cancel, a timeout or a shutdown stopped it: never restart. */
  stoppedOnPurpose: boolean;
  /** Why a requested restart stopped it (`restart_every`, `on_stall: restart`); false when none was requested. */
  restartRequested: string | false;
  policy: MemoryPolicy;
  memoryRestartsDone: number;
  maxMemoryRestarts: number;
}

/** What to do after the agent's process ended. */
export type AfterExit = { action: 'restart'; reason: string; countsAsMemoryRestart: boolean } | { action: 'finish' };

/** Decides whether the node-agent starts the agent again in the same window (same attempt). */
export function afterExit(f: ExitFacts): AfterExit {
  if (f.stoppedOnPurpose) return { action: 'finish' };
  if (f.verdict === 'memory-limit-exceeded') {
    if (f.policy === 'restart' && f.memoryRestartsDone < f.maxMemoryRestarts) {
      return { action: 'restart', reason: `memory limit exceeded: restarting (${f.memoryRestartsDone + 1}/${f.maxMemoryRestarts})`, countsAsMemoryRestart: true };
    }
    return { action: 'finish' };
  }
  if (f.restartRequested) return { action: 'restart', reason: f.restartRequested, countsAsMemoryRestart: false };
  return { action: 'finish' };
}

/**
 * The hard memory ceiling given to the governor: the budget itself, except under `notify` where
 * the budget is a soft limit (reported when crossed) and the hard ceiling is twice as high.
 */
export function hardMemoryMb(budgetMb: number, policy: MemoryPolicy): number {
  return policy === 'notify' ? budgetMb * 2 : budgetMb;
}
