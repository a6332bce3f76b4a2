import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION, type TaskDispatched, type TaskFinished, attemptKey } from '@shoal/protocol';

/** What the journal keeps of a member: enough to report its end. */
interface JournalEntry {
  runId: string;
  taskId: string;
  attempt: number;
  batch?: string;
}

/**
 * The batch members this node took (acked) and has not yet reported finished, one small file each
 * under `<dataDir>/batch-members/`. A batch session does not survive a node-agent restart (its
 * window is cleared like any unknown one), and a member waiting in a session's queue has no other
 * trace: at the next start every member still listed is reported `lost` once, so the coordinator
 * retries it instead of leaving it `dispatched`.
 */
export class BatchJournal {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'batch-members');
  }

  /** Records a member taken by this node. A failure costs only the recovery after a restart. */
  add(task: TaskDispatched): void {
    const entry: JournalEntry = { runId: task.runId, taskId: task.taskId, attempt: task.attempt, batch: task.batch };
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(this.file(task), JSON.stringify(entry));
    } catch {
      /* best effort: without the entry a restart leaves this member to the coordinator's reconciliation */
    }
  }

  /** Forgets a member whose end is reported. */
  remove(task: Pick<TaskDispatched, 'runId' | 'taskId' | 'attempt'>): void {
    rmSync(this.file(task), { force: true });
  }

  /**
   * At start: the `lost` reports of the members a previous incarnation took and never reported
   * finished (reading removes them; `report` must put each in the outbox before it resolves).
   */
  async recover(nodeId: string, report: (f: TaskFinished) => Promise<void>, now: number): Promise<number> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    } catch {
      return 0;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      try {
        const e = JSON.parse(readFileSync(path, 'utf8')) as JournalEntry;
        await report({
          v: PROTOCOL_VERSION,
          kind: 'task.finished',
          runId: e.runId,
          taskId: e.taskId,
          attempt: e.attempt,
          nodeId,
          outcome: 'lost',
          exitCode: null,
          reason: `the node-agent restarted: the session of batch ${e.batch ?? '?'} is gone`,
          finishedAt: now,
          outputTail: '',
        });
      } catch {
        /* unreadable entry: dropped */
      }
      rmSync(path, { force: true });
    }
    return names.length;
  }

  private file(t: Pick<TaskDispatched, 'runId' | 'taskId' | 'attempt'>): string {
    return join(this.dir, `${attemptKey(t.runId, t.taskId, t.attempt)}.json`);
  }
}
