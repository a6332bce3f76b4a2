import { useEffect, useState } from 'preact/hooks';
import { post } from '../api.js';
import { Gantt } from '../charts/gantt.js';
import { PhaseGraph } from '../charts/phase-graph.js';
import { useRun } from '../run-live.js';
import { type Run, TERMINAL_RUN_STATES, TERMINAL_TASK_STATES, type Task, needsYou } from '../types.js';
import { ActionButton, ErrorNote, Panel, StateBadge, clock, formatDuration } from '../ui.js';

/** Re-renders every second while `active` (running bars grow, durations tick). */
function useNow(active: boolean): number {
  const [tick, setTick] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setTick(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  // renders caused by events read the clock afresh (a stale tick made new attempts look negative)
  return Math.max(tick, Date.now());
}

const taskPath = (run: Run, t: Task) => `#/runs/${encodeURIComponent(run.id)}/tasks/${encodeURIComponent(t.id)}`;

/** Retry, skip and cancel of one task (the API accepts them while the task awaits an operator). */
export function TaskActions({ runId, task }: { runId: string; task: Task }) {
  const base = `/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(task.id)}`;
  const finished = TERMINAL_TASK_STATES.includes(task.state);
  return (
    <span class="task-actions">
      <ActionButton label="retry" testId={`retry-${task.id}`} action={() => post(`${base}/retry`)} done={`retry of ${task.id} requested`} disabled={finished && task.state !== 'failed'} />
      <ActionButton label="skip" testId={`skip-${task.id}`} action={() => post(`${base}/skip`)} done={`${task.id} skipped`} disabled={finished} />
      <ActionButton label="cancel" danger testId={`cancel-${task.id}`} action={() => post(`${base}/cancel`)} done={`${task.id} cancelled`} disabled={finished} />
    </span>
  );
}

/** Tasks sorted: those whose agent needs an operator first, then by phase order. */
function orderTasks(run: Run): Task[] {
  const phaseIndex = new Map(run.phases.map((p, i) => [p.id, i]));
  return [...run.tasks].sort((a, b) => Number(needsYou(b.agent?.state)) - Number(needsYou(a.agent?.state)) || (phaseIndex.get(a.phaseId) ?? 0) - (phaseIndex.get(b.phaseId) ?? 0));
}

/** A run: its state, phase graph, Gantt of attempts across nodes, and task rows, all live. */
export function RunPage({ runId }: { runId: string }) {
  const { run, attempts, live, error } = useRun(runId);
  const running = !!run && !TERMINAL_RUN_STATES.includes(run.state);
  const now = useNow(running);
  if (!run) return <Panel title={`Run ${runId}`}>{error ? <ErrorNote error={error} /> : <p class="muted">Loading…</p>}</Panel>;
  const counts = new Map<string, number>();
  for (const t of run.tasks) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  return (
    <div class="run-page" data-run={run.id}>
      <Panel
        title={
          <>
            Run <code>{run.id}</code> <StateBadge state={run.state} />
          </>
        }
        actions={
          <>
            <span class={live ? 'live on' : 'live'}>{live ? '● live' : running ? '○ reconnecting' : 'finished'}</span>
            <ActionButton label="Cancel run" danger testId="cancel-run" disabled={!running} confirm={`Cancel run ${run.id}? Its running tasks are stopped.`} action={() => post(`/runs/${encodeURIComponent(run.id)}/cancel`)} done={`run ${run.id} cancelling`} />
          </>
        }
      >
        <dl class="facts inline">
          <dt>plan</dt>
          <dd>{run.plan}</dd>
          <dt>submitted</dt>
          <dd>{clock(run.submittedAt)}</dd>
          <dt>elapsed</dt>
          <dd>{formatDuration((run.finishedAt ?? now) - (run.startedAt ?? run.submittedAt))}</dd>
          <dt>tasks</dt>
          <dd>
            {[...counts].map(([s, n]) => (
              <span key={s} class="count">
                <StateBadge state={s} /> {n}
              </span>
            ))}
          </dd>
          {run.reason ? (
            <>
              <dt>reason</dt>
              <dd>{run.reason}</dd>
            </>
          ) : null}
          {run.traceId ? (
            <>
              <dt>trace</dt>
              <dd>
                <code>{run.traceId}</code>
              </dd>
            </>
          ) : null}
        </dl>
        <ErrorNote error={error} />
      </Panel>
      <Panel title="Phases">
        <PhaseGraph phases={run.phases} />
      </Panel>
      <Panel title="Tasks across nodes">
        <Gantt bars={attempts} now={now} onOpen={(id) => (location.hash = `#/runs/${encodeURIComponent(run.id)}/tasks/${encodeURIComponent(id)}`)} />
      </Panel>
      <Panel title="Tasks">
        <table class="tasks">
          <thead>
            <tr>
              <th>task</th>
              <th>phase</th>
              <th>team / role</th>
              <th>state</th>
              <th>agent</th>
              <th>attempt</th>
              <th>node</th>
              <th>took</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {orderTasks(run).map((t) => (
              <tr key={t.id} data-task={t.id} data-state={t.state} class={needsYou(t.agent?.state) ? 'needs-you' : ''}>
                <td>
                  <a href={taskPath(run, t)}>{t.id}</a>
                </td>
                <td>{t.phaseId}</td>
                <td>
                  {t.team} / {t.role}
                </td>
                <td>
                  <StateBadge state={t.state} title={t.reason ?? t.waitingReason} />
                </td>
                <td>{t.agent && !TERMINAL_TASK_STATES.includes(t.state) ? <StateBadge state={t.agent.state} /> : <span class="muted">–</span>}</td>
                <td>
                  {t.attempt}/{t.maxAttempts}
                </td>
                <td>{t.nodeId ?? '–'}</td>
                <td>{t.startedAt ? formatDuration((t.finishedAt ?? now) - t.startedAt) : '–'}</td>
                <td>{t.state === 'awaiting-operator' ? <TaskActions runId={run.id} task={t} /> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
