import { taskKey } from '@shoal/protocol';
import { join } from 'node:path';

/** Path of an attempt's log: `<logDir>/<run>.<task>.<attempt>.log`. */
export function taskLogPath(logDir: string, runId: string, taskId: string, attempt: number): string {
  return join(logDir, `${runId}.${taskId}.${attempt}.log`);
}

/** Which log files this node wrote, per task; forgotten on `reset`. */
export class LogIndex {
  private readonly byTask = new Map<string, Map<number, string>>();

  constructor(readonly logDir: string) {}

  record(runId: string, taskId: string, attempt: number): string {
    const path = taskLogPath(this.logDir, runId, taskId, attempt);
    const key = taskKey(runId, taskId);
    let attempts = this.byTask.get(key);
    if (!attempts) this.byTask.set(key, (attempts = new Map()));
    attempts.set(attempt, path);
    return path;
  }

  /** The log of the given attempt, or of the latest attempt this node ran; undefined if unknown. */
  find(runId: string, taskId: string, attempt?: number): { attempt: number; path: string } | undefined {
    const attempts = this.byTask.get(taskKey(runId, taskId));
    if (!attempts) return undefined;
    const a = attempt ?? Math.max(...attempts.keys());
    const path = attempts.get(a);
    return path ? { attempt: a, path } : undefined;
  }

  get size(): number {
    return this.byTask.size;
  }

  clear(): void {
    this.byTask.clear();
  }
}
