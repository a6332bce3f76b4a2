import { PROTOCOL_VERSION, type TaskFinished, type TaskOutcome, attemptKey } from '@shoal/protocol';
import type { Budget, GovernedTask, ResourceGovernor, Verdict } from '../governor/index.js';
import { readTail } from '../log-follower.js';
import { hardMemoryMb } from '../restart/restart-policy.js';
import { exitReason } from '../task-attempt.js';
import type { TmuxDriver } from '../tmux/index.js';
import { WARM_SESSION } from '../warm/index.js';
import type { AttemptRecord, AttemptRecords } from './attempt-record.js';
import { type FoundPane, planReadoption } from './plan.js';

/** What re-adoption needs from the node-agent. */
export interface ReadoptDeps {
  tmux: TmuxDriver;
  governor: ResourceGovernor;
  records: AttemptRecords;
  nodeId: string;
  /** Takes over a live attempt (executor: attempt, exit watch, timeout, logs, check-ins). */
  adopt(record: AttemptRecord, pane: FoundPane, governed: GovernedTask): Promise<void>;
  /**
   * Marks an attempt of a record as handled (`<run>.<task>.<attempt>`), whatever became of it: a
   * redelivery of its work message (the previous incarnation died before acking it) must not run it again.
   */
  handled(attemptKey: string): void;
  /** Hands a finished report to the node's outbox; resolves once it is on disk (a report of an end already reported is not sent twice). */
  report(finished: TaskFinished): Promise<void>;
  log(message: string): void;
  warn(message: string): void;
}

/** What re-adoption did. */
export interface ReadoptSummary {
  adopted: number;
  finished: number;
  lost: number;
  superseded: number;
  /** Leftovers cleared (not covered by a record). */
  clearedProcesses: number;
  clearedGroups: number;
  clearedWindows: number;
}

/** The budget an attempt's group was given (see ExecutorService.launch). Pure. */
export function budgetOf(record: AttemptRecord): Budget {
  const t = record.task;
  return { cpuPercent: t.cpuPercent, memoryMb: hardMemoryMb(t.memoryMb, t.onMemoryExceeded ?? 'fail') };
}

/**
 * At start, before any work is consumed: re-adopts the attempts a previous incarnation recorded
 * whose panes still run their process, reports once those that ended or vanished meanwhile, and
 * clears everything else (warm windows, unknown windows and groups) as a fresh start would.
 */
export async function readoptAttempts(deps: ReadoptDeps): Promise<ReadoptSummary> {
  const { tmux, governor, records } = deps;
  const loaded = records.load();
  for (const b of loaded.broken) deps.warn(`attempt record ${b.file} unreadable, removed: ${b.error}`);
  const panes: FoundPane[] = [];
  const sessions = (await tmux.listSessions()).filter((s) => s.name.startsWith('Task-') || s.name === WARM_SESSION);
  for (const s of sessions) {
    if (s.name === WARM_SESSION) continue;
    for (const w of await tmux.listWindows(s.name)) panes.push({ session: s.name, windowId: w.windowId, paneId: w.paneId, pid: w.pid, dead: w.dead, exitCode: w.exitCode, ...(w.signal ? { signal: w.signal } : {}) });
  }
  const summary: ReadoptSummary = { adopted: 0, finished: 0, lost: 0, superseded: 0, clearedProcesses: 0, clearedGroups: 0, clearedWindows: 0 };
  const keepGroups = new Set<string>();
  const keepWindows = new Set<string>();
  const ended = (record: AttemptRecord, outcome: TaskOutcome, reason: string | undefined, exit: { exitCode: number | null; signal?: string }) =>
    void (async () => {
      const f: TaskFinished = {
        v: PROTOCOL_VERSION,
        kind: 'task.finished',
        runId: record.task.runId,
        taskId: record.task.taskId,
        attempt: record.task.attempt,
        nodeId: deps.nodeId,
        outcome,
        exitCode: exit.exitCode,
        ...(exit.signal ? { signal: exit.signal } : {}),
        ...(reason ? { reason: reason.slice(0, 2000) } : {}),
        startedAt: record.startedAt,
        finishedAt: Date.now(),
        outputTail: (await readTail(record.logFile, 4096)).slice(-4096),
      };
      await deps.report(f);
      records.remove(record.task.runId, record.task.taskId, record.task.attempt);
    })().catch((e: Error) => deps.warn(`could not report the end of ${record.task.runId}/${record.task.taskId}#${record.task.attempt}: ${e.message}`));

  for (const d of planReadoption(loaded.records, panes)) {
    const r = d.record;
    const name = `${r.task.runId}/${r.task.taskId}#${r.task.attempt}`;
    deps.handled(attemptKey(r.task.runId, r.task.taskId, r.task.attempt));
    if (d.action === 'adopt') {
      let governed: GovernedTask;
      try {
        governed = await governor.adopt(r.groupKey, budgetOf(r));
      } catch (e) {
        summary.lost += 1;
        deps.warn(`${name}: pane ${d.pane.paneId} still runs pid ${d.pane.pid} but its resource group cannot be taken over (${(e as Error).message}); stopping it`);
        ended(r, 'lost', `node-agent restarted and could not take over its resource group: ${(e as Error).message}`, { exitCode: null });
        continue;
      }
      keepGroups.add(r.groupKey);
      keepWindows.add(d.pane.windowId);
      await deps.adopt(r, d.pane, governed);
      summary.adopted += 1;
      deps.log(`${name} re-adopted: pane ${d.pane.paneId}, pid ${d.pane.pid}, group ${r.groupKey}`);
    } else if (d.action === 'finished') {
      summary.finished += 1;
      const verdict = await finalVerdict(governor, r);
      const exit = { exitCode: d.pane.exitCode, ...(d.pane.signal ? { signal: d.pane.signal } : {}) };
      const ok = exit.exitCode === 0 && !exit.signal && verdict === null;
      const reason = verdict === 'memory-limit-exceeded' ? `memory limit exceeded (${r.task.memoryMb} MB)` : ok ? undefined : exitReason(exit);
      deps.log(`${name} ended while no node-agent watched: ${ok ? 'succeeded' : reason}`);
      ended(r, ok ? 'succeeded' : 'failed', reason, exit);
    } else if (d.action === 'lost') {
      summary.lost += 1;
      deps.warn(`${name} lost: ${d.reason}`);
      ended(r, 'lost', d.reason, { exitCode: null });
    } else {
      summary.superseded += 1;
      ended(r, 'cancelled', `superseded by attempt ${d.by}`, { exitCode: null });
    }
  }

  const groups = await governor.cleanupAll(keepGroups);
  summary.clearedProcesses = groups.killedPids.length;
  summary.clearedGroups = groups.removedGroups.length;
  for (const s of sessions) {
    const windows = s.name === WARM_SESSION ? [] : await tmux.listWindows(s.name, { exitStatus: false });
    const kept = windows.filter((w) => keepWindows.has(w.windowId));
    if (kept.length === 0) {
      summary.clearedWindows += s.windows;
      await tmux.killSession(s.name);
      continue;
    }
    for (const w of windows) {
      if (keepWindows.has(w.windowId)) continue;
      summary.clearedWindows += 1;
      await tmux.killWindow(w.windowId);
    }
  }
  return summary;
}

/** Why the group of an attempt that ended unwatched killed it, if it did; the group is released. */
async function finalVerdict(governor: ResourceGovernor, record: AttemptRecord): Promise<Verdict> {
  try {
    const governed = await governor.adopt(record.groupKey, budgetOf(record));
    const verdict = await governed.verdict();
    await governed.release();
    return verdict;
  } catch {
    return null;
  }
}
