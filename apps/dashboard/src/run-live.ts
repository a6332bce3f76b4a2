import { useEffect, useState } from 'preact/hooks';
import { api, followEvents } from './api.js';
import { type Run, type RunEvent, type RunStreamMessage, TERMINAL_RUN_STATES, TERMINAL_TASK_STATES, type Task } from './types.js';

/** One attempt of a task on a node, for the Gantt chart. */
export interface AttemptBar {
  taskId: string;
  attempt: number;
  nodeId: string;
  start: number;
  end?: number;
  state: Task['state'];
}

/** A run kept live: its view, the attempts seen, and whether the stream is open. */
export interface LiveRun {
  run?: Run;
  attempts: AttemptBar[];
  live: boolean;
  error?: string;
}

/** How often the whole view is fetched again while the run is live (agent states, timestamps). */
const REFRESH_MS = 5000;

/** Applies one run event to a view (pure; returns a new view). */
export function applyRunEvent(run: Run, e: RunEvent): Run {
  switch (e.type) {
    case 'run':
      return { ...run, state: e.state, reason: e.reason ?? run.reason, ...(TERMINAL_RUN_STATES.includes(e.state) ? { finishedAt: e.at } : {}) };
    case 'phase':
      return { ...run, phases: run.phases.map((p) => (p.id === e.phaseId ? { ...p, state: e.state, reason: e.reason ?? p.reason } : p)) };
    case 'task':
      return {
        ...run,
        tasks: run.tasks.map((t) => {
          if (t.id !== e.taskId) return t;
          const next: Task = { ...t, state: e.state, attempt: e.attempt, nodeId: e.nodeId ?? t.nodeId, reason: e.reason ?? t.reason };
          if (e.exitCode !== undefined) next.exitCode = e.exitCode;
          if (e.state === 'running') {
            next.startedAt = e.at;
            delete next.finishedAt;
          }
          if (TERMINAL_TASK_STATES.includes(e.state)) next.finishedAt = e.at;
          return next;
        }),
      };
    case 'agent':
      return { ...run, tasks: run.tasks.map((t) => (t.id === e.taskId && t.attempt === e.attempt ? { ...t, agent: { state: e.state, since: e.since } } : t)) };
    default:
      return run;
  }
}

/** Attempts known from a view: each task's current attempt and the attempts lost with a node. */
export function attemptsOfView(run: Run): AttemptBar[] {
  const bars: AttemptBar[] = [];
  for (const t of run.tasks) {
    for (const lost of t.lostAttempts ?? []) {
      if (lost.startedAt !== undefined) bars.push({ taskId: t.id, attempt: lost.attempt, nodeId: lost.nodeId, start: lost.startedAt, end: t.nodeLostAt, state: 'failed' });
    }
    // a task queued again (retry) still carries its previous attempt's times: no bar until dispatched
    if (t.state === 'pending' || t.state === 'queued') continue;
    const start = t.state === 'dispatched' ? t.dispatchedAt : (t.startedAt ?? t.dispatchedAt);
    if (t.nodeId && start !== undefined) bars.push({ taskId: t.id, attempt: t.attempt, nodeId: t.nodeId, start, end: t.state === 'dispatched' || t.state === 'running' ? undefined : t.finishedAt, state: t.state });
  }
  return bars;
}

/**
 * Merges the attempts seen so far (from events and earlier views: attempts the view no longer
 * holds) with the view's own. An earlier attempt of a task that was retried is shown as failed.
 */
export function mergeAttempts(seen: AttemptBar[], fromView: AttemptBar[]): AttemptBar[] {
  const key = (a: AttemptBar) => `${a.taskId}#${a.attempt}`;
  const byKey = new Map(seen.map((a) => [key(a), a]));
  for (const a of fromView) byKey.set(key(a), a);
  const latest = new Map<string, number>();
  for (const a of byKey.values()) latest.set(a.taskId, Math.max(latest.get(a.taskId) ?? 0, a.attempt));
  return [...byKey.values()]
    .map((a) => (a.attempt < latest.get(a.taskId)! && a.state !== 'succeeded' && a.state !== 'failed' ? { ...a, state: 'failed' as const, end: a.end ?? a.start } : a))
    .sort((a, b) => a.start - b.start);
}

/** Records a task event in the attempt list (a start opens a bar, an end closes it). */
function recordAttempt(seen: AttemptBar[], e: RunEvent): AttemptBar[] {
  if (e.type !== 'task' || !e.nodeId) return seen;
  const i = seen.findIndex((a) => a.taskId === e.taskId && a.attempt === e.attempt);
  const ended = TERMINAL_TASK_STATES.includes(e.state) || e.state === 'retry-wait' || e.state === 'awaiting-operator';
  if (i < 0) return e.state === 'running' || e.state === 'dispatched' ? [...seen, { taskId: e.taskId, attempt: e.attempt, nodeId: e.nodeId, start: e.at, state: e.state }] : seen;
  const copy = [...seen];
  copy[i] = { ...copy[i]!, state: e.state, ...(e.state === 'running' ? { start: e.at } : {}), ...(ended ? { end: e.at } : {}) };
  return copy;
}

/** Follows one run: its `snapshot`, then every event (`GET /runs/:id/events`), plus a periodic refresh. */
export function useRun(runId: string): LiveRun {
  const [state, setState] = useState<LiveRun>({ attempts: [], live: false });
  useEffect(() => {
    const abort = new AbortController();
    let seen: AttemptBar[] = [];
    let run: Run | undefined;
    const publish = (live: boolean, error?: string) => {
      // every view's attempts are kept: a retry replaces the task's attempt in the next view
      if (run) seen = mergeAttempts(seen, attemptsOfView(run));
      setState({ run, attempts: seen, live, error });
    };
    const follow = async () => {
      while (!abort.signal.aborted) {
        try {
          await followEvents(
            `/runs/${encodeURIComponent(runId)}/events`,
            (e) => {
              const m = { event: e.event, data: JSON.parse(e.data) as unknown } as RunStreamMessage;
              if (m.event === 'snapshot') run = m.data;
              else if (run) {
                run = applyRunEvent(run, m.data);
                seen = recordAttempt(seen, m.data);
              }
              publish(true);
            },
            abort.signal,
          );
          if (run && TERMINAL_RUN_STATES.includes(run.state)) {
            publish(false);
            return;
          }
        } catch (err) {
          if (abort.signal.aborted) return;
          publish(false, (err as Error).message);
          if ((err as { status?: number }).status === 404 || (err as { status?: number }).status === 401) return;
        }
        await new Promise((r) => setTimeout(r, 2000));
      }
    };
    void follow();
    const refresh = setInterval(() => {
      if (run && TERMINAL_RUN_STATES.includes(run.state)) return;
      void api<Run>(`/runs/${encodeURIComponent(runId)}`).then(
        (fresh) => {
          run = fresh;
          publish(true);
        },
        () => undefined,
      );
    }, REFRESH_MS);
    return () => {
      abort.abort();
      clearInterval(refresh);
    };
  }, [runId]);
  return state;
}
