import { fleet } from '../live.js';
import { useStore } from '../store.js';
import { ErrorNote, Panel, StateBadge, ago, clock, formatDuration } from '../ui.js';

/** Every run, newest first, kept live by the fleet stream (`GET /events`). */
export function RunsPanel({ limit }: { limit?: number }) {
  const { runs, connected, error } = useStore(fleet);
  const shown = limit ? runs.slice(0, limit) : runs;
  return (
    <Panel
      id="runs"
      title="Runs"
      actions={
        <span class={connected ? 'live on' : 'live'} title={connected ? 'following GET /events' : 'not connected'}>
          {connected ? '● live' : '○ offline'}
        </span>
      }
    >
      <ErrorNote error={connected ? undefined : error} />
      {runs.length === 0 ? (
        <p class="muted">No runs yet. Submit one with `shoal run plan.yaml`.</p>
      ) : (
        <table class="runs">
          <thead>
            <tr>
              <th>run</th>
              <th>plan</th>
              <th>state</th>
              <th>tasks</th>
              <th>submitted</th>
              <th>took</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.id} data-run={r.id}>
                <td>
                  <a href={`#/runs/${encodeURIComponent(r.id)}`}>{r.id}</a>
                </td>
                <td>{r.plan}</td>
                <td>
                  <StateBadge state={r.state} />
                </td>
                <td>{r.tasks}</td>
                <td title={clock(r.submittedAt)}>{ago(r.submittedAt)}</td>
                <td>{r.finishedAt ? formatDuration(r.finishedAt - r.submittedAt) : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {limit && runs.length > limit ? (
        <p>
          <a href="#/runs">all {runs.length} runs</a>
        </p>
      ) : null}
    </Panel>
  );
}
