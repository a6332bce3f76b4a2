import { type RunEvent, phaseKey } from '@shoal/protocol';

/** What the metrics need to know of a task when one of its events arrives (the run's current view). */
export interface TaskFacts {
  /** `taskKind()` of the task: team/role/program. */
  kind: string;
  /** Coordinator time the current attempt was queued. */
  queuedAt?: number;
  /** Node time the current attempt started and finished. */
  startedAt?: number;
  finishedAt?: number;
  /** How the current attempt ended (succeeded, failed, timed-out, cancelled, lost, rejected). */
  outcome?: string;
}

/** A measurement to record: a counter increment or a histogram sample (in s). */
export type TaskMeasurement =
  | { add: 'tasksStarted' | 'tasksFailed' | 'tasksRetried'; labels: { task_kind: string } }
  | { add: 'tasksFinished'; labels: { task_kind: string; outcome: string } }
  | { record: 'taskDuration'; value: number; labels: { task_kind: string; outcome: string } }
  | { record: 'dispatchLatency'; value: number; labels: { task_kind: string } }
  | { record: 'phaseHandoff'; value: number; labels: Record<string, never> };

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);
const RUN_OVER = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Turns run events into task measurements: attempts started, failed, retried; tasks finished;
 * run time per attempt, dispatch latency (queued -> running, coordinator clock) and the gap
 * between a phase finishing and the next phase's first task running. Pure: it keeps per-run
 * hand-off times only, forgotten when the run ends.
 */
export class TaskTimings {
  /** Coordinator time the latest phase of a run finished. */
  private readonly phaseEnded = new Map<string, number>();
  /** `run/phase` -> when the hand-off into that phase began (the previous phase's end). */
  private readonly handoffFrom = new Map<string, number>();

  /** Measurements of one event; `facts` reads the task's current state (undefined: unknown task). */
  observe(e: RunEvent, facts: (runId: string, taskId: string) => TaskFacts | undefined): TaskMeasurement[] {
    if (e.type === 'phase') return this.phase(e.runId, e.phaseId, e.state, e.at);
    if (e.type === 'run') {
      if (RUN_OVER.has(e.state)) this.forget(e.runId);
      return [];
    }
    if (e.type !== 'task') return [];
    const attemptEnded = e.state === 'retry-wait' || FINAL.has(e.state);
    if (e.state !== 'running' && !attemptEnded) return []; // queued, dispatched: nothing to record, the task is not read
    const f = facts(e.runId, e.taskId);
    if (!f) return [];
    const task_kind = f.kind;
    const out: TaskMeasurement[] = [];
    if (e.state === 'running') {
      out.push({ add: 'tasksStarted', labels: { task_kind } });
      if (f.queuedAt !== undefined) out.push({ record: 'dispatchLatency', value: seconds(e.at - f.queuedAt), labels: { task_kind } });
      const key = phaseKey(e.runId, e.phaseId);
      const from = this.handoffFrom.get(key);
      if (from !== undefined) {
        this.handoffFrom.delete(key);
        out.push({ record: 'phaseHandoff', value: seconds(e.at - from), labels: {} });
      }
      return out;
    }
    const outcome = f.outcome ?? e.state;
    if (e.state === 'retry-wait') out.push({ add: 'tasksRetried', labels: { task_kind } });
    if (e.state === 'retry-wait' || e.state === 'failed') out.push({ add: 'tasksFailed', labels: { task_kind } });
    if (FINAL.has(e.state)) out.push({ add: 'tasksFinished', labels: { task_kind, outcome: e.state } });
    if (f.startedAt !== undefined && f.finishedAt !== undefined) out.push({ record: 'taskDuration', value: seconds(f.finishedAt - f.startedAt), labels: { task_kind, outcome } });
    return out;
  }

  /** Runs whose hand-off times are kept (tests: nothing is kept once runs end). */
  get tracked(): number {
    return new Set([...this.phaseEnded.keys(), ...[...this.handoffFrom.keys()].map((k) => k.slice(0, k.indexOf('/')))]).size;
  }

  private phase(runId: string, phaseId: string, state: string, at: number): TaskMeasurement[] {
    if (state === 'running') {
      const from = this.phaseEnded.get(runId);
      if (from !== undefined) this.handoffFrom.set(phaseKey(runId, phaseId), from);
    } else if (state === 'succeeded') {
      this.phaseEnded.set(runId, at);
    } else if (state === 'skipped' || state === 'cancelled' || state === 'failed') {
      this.handoffFrom.delete(phaseKey(runId, phaseId));
    }
    return [];
  }

  private forget(runId: string): void {
    this.phaseEnded.delete(runId);
    for (const k of [...this.handoffFrom.keys()]) if (k.startsWith(`${runId}/`)) this.handoffFrom.delete(k);
  }
}

/** ms -> s, never negative (clocks of different hosts may disagree). */
function seconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}
