import { useState } from 'preact/hooks';
import { api, post } from '../api.js';
import { useInterval } from '../store.js';
import { useRun } from '../run-live.js';
import { TERMINAL_TASK_STATES, type TaskCaptureReply, type TaskLogReply, type TaskSendReply } from '../types.js';
import { ErrorNote, Panel, StateBadge, ago, clock, formatDuration, toast } from '../ui.js';
import { MenuAnswer } from './menu-answer.js';
import { TaskActions } from './run.js';

/** Polls a text endpoint while `active`; keeps the last answer or error. */
function usePolledText<T>(path: string, ms: number, active: boolean): { value?: T; error?: string } {
  const [state, setState] = useState<{ value?: T; error?: string }>({});
  useInterval(
    () => {
      if (!active && state.value !== undefined) return;
      api<T>(path).then(
        (value) => setState({ value }),
        (err: Error) => setState((s) => ({ ...s, error: err.message })),
      );
    },
    ms,
    [path, active],
  );
  return state;
}

/** Types one line into the task's pane (`POST …/send`). */
function SendMessage({ path, enabled }: { path: string; enabled: boolean }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    try {
      const r = await post<TaskSendReply>(`${path}/send`, { text });
      toast(r.verified === false ? 'sent (the text was not seen on screen before Enter)' : 'sent');
      setText('');
    } catch (err) {
      toast(`send failed: ${(err as Error).message}`, true);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="send" onSubmit={(e) => void submit(e)}>
      <input type="text" placeholder={enabled ? 'a message for the agent, sent with Enter' : 'the task is not running'} value={text} maxLength={8192} disabled={!enabled || busy} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={!enabled || busy || !text.trim()}>
        Send
      </button>
    </form>
  );
}

/** A task: its state and agent state, log tail, screen capture, and the operator's buttons. */
export function TaskPage({ runId, taskId }: { runId: string; taskId: string }) {
  const { run, error } = useRun(runId);
  const task = run?.tasks.find((t) => t.id === taskId);
  const base = `/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(taskId)}`;
  const running = task?.state === 'running';
  const active = !!task && !TERMINAL_TASK_STATES.includes(task.state);
  const logs = usePolledText<TaskLogReply>(`${base}/logs`, 2000, active);
  const capture = usePolledText<TaskCaptureReply>(`${base}/capture?lines=40`, 3000, running);
  if (!task) return <Panel title={`Task ${taskId}`}>{error ? <ErrorNote error={error} /> : <p class="muted">{run ? `no task ${taskId} in run ${runId}` : 'Loading…'}</p>}</Panel>;
  return (
    <div class="task-page" data-task={task.id}>
      <Panel
        title={
          <>
            Task <code>{task.id}</code> <StateBadge state={task.state} />
          </>
        }
        actions={<TaskActions runId={runId} task={task} />}
      >
        <p>
          <a href={`#/runs/${encodeURIComponent(runId)}`}>← run {runId}</a>
        </p>
        <dl class="facts inline">
          <dt>phase</dt>
          <dd>{task.phaseId}</dd>
          <dt>team / role</dt>
          <dd>
            {task.team} / {task.role}
          </dd>
          <dt>attempt</dt>
          <dd>
            {task.attempt} of {task.maxAttempts}
          </dd>
          <dt>node</dt>
          <dd>{task.nodeId ?? '–'}</dd>
          <dt>agent</dt>
          <dd data-testid="agent-state">{task.agent && active ? <><StateBadge state={task.agent.state} /> {ago(task.agent.since)}</> : <span class="muted">not reported</span>}</dd>
          <dt>started</dt>
          <dd>{clock(task.startedAt)}</dd>
          <dt>took</dt>
          <dd>{task.startedAt ? formatDuration((task.finishedAt ?? Date.now()) - task.startedAt) : '–'}</dd>
          {task.exitCode !== undefined ? (
            <>
              <dt>exit code</dt>
              <dd>{String(task.exitCode)}</dd>
            </>
          ) : null}
          {task.reason || task.waitingReason ? (
            <>
              <dt>reason</dt>
              <dd>{task.reason ?? task.waitingReason}</dd>
            </>
          ) : null}
          {task.tmux && task.nodeId ? (
            <>
              <dt>attach</dt>
              <dd>
                <code>{`tmux -L ${task.tmux.socket} attach -t ${task.tmux.session}:${task.tmux.window}`}</code> on {task.nodeId}
              </dd>
            </>
          ) : null}
        </dl>
        <SendMessage path={base} enabled={running} />
        <MenuAnswer path={base} enabled={running} agentState={active ? task.agent?.state : undefined} />
      </Panel>
      <div class="two-col">
        <Panel title="Screen">
          {running ? capture.value?.text !== undefined ? <pre class="terminal" data-testid="capture">{capture.value.text}</pre> : <ErrorNote error={capture.error ?? capture.value?.message} /> : <p class="muted">The screen is captured while the task runs.</p>}
        </Panel>
        <Panel title={`Log tail${logs.value ? ` (attempt ${logs.value.attempt})` : ''}`}>
          {logs.value ? <pre class="terminal" data-testid="log-tail">{logs.value.text || '(no output yet)'}</pre> : <ErrorNote error={logs.error} />}
        </Panel>
      </div>
    </div>
  );
}
