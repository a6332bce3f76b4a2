import { taskKey } from '@shoal/protocol';
import type { AttemptRecord } from './attempt-record.js';

/** A pane of a `Task-*` session as the tmux server shows it after a node-agent restart. */
export interface FoundPane {
  session: string;
  windowId: string;
  paneId: string;
  pid: number;
  dead: boolean;
  exitCode: number | null;
  signal?: string;
}

/** What happens to one recorded attempt. */
export type ReadoptDecision =
  /** Its pane still runs its process: take it over. */
  | { action: 'adopt'; record: AttemptRecord; pane: FoundPane }
  /** Its process ended while no node-agent watched: report how (once), then clean up. */
  | { action: 'finished'; record: AttemptRecord; pane: FoundPane }
  /** Its pane is gone (or runs another process): report it lost. */
  | { action: 'lost'; record: AttemptRecord; reason: string }
  /** A newer attempt of the same task is recorded: stop this one and report it cancelled. */
  | { action: 'superseded'; record: AttemptRecord; pane?: FoundPane; by: number };

/**
 * Matches the records of a previous incarnation with the panes found on the tmux socket. Pure.
 * A pane is the attempt's only if its id and its pid both match (tmux reuses pane ids after a
 * server restart); of two records of one task, only the newest attempt may be adopted.
 */
export function planReadoption(records: readonly AttemptRecord[], panes: readonly FoundPane[]): ReadoptDecision[] {
  const byPane = new Map(panes.map((p) => [p.paneId, p]));
  const newest = new Map<string, number>();
  for (const r of records) {
    const key = taskKey(r.task.runId, r.task.taskId);
    newest.set(key, Math.max(newest.get(key) ?? 0, r.task.attempt));
  }
  return records.map((record): ReadoptDecision => {
    const found = byPane.get(record.paneId);
    const pane = found && found.pid === record.pid ? found : undefined;
    const latest = newest.get(taskKey(record.task.runId, record.task.taskId))!;
    if (record.task.attempt < latest) return { action: 'superseded', record, by: latest, ...(pane ? { pane } : {}) };
    if (!pane) {
      const reason = found
        ? `its pane ${record.paneId} now runs pid ${found.pid}, not ${record.pid} (the tmux server was restarted while the node-agent was down)`
        : `its window was gone when the node-agent restarted (tmux server or window closed while no node-agent watched)`;
      return { action: 'lost', record, reason };
    }
    return pane.dead ? { action: 'finished', record, pane } : { action: 'adopt', record, pane };
  });
}
