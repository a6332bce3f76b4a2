import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { TimeChart } from '../charts/time-chart.js';
import { utilisationSeries } from '../derive.js';
import type { AnalyticsReport } from '../types.js';
import { ErrorNote, Panel, formatDuration, percent } from '../ui.js';

const WINDOWS = ['1d', '7d', '30d'] as const;
const COLORS = ['#58a6ff', '#3fb950', '#d29922', '#f778ba', '#a371f7', '#79c0ff', '#ffa657'];

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div class="stat" data-testid={testId}>
      <div class="value">{value}</div>
      <div class="label">{label}</div>
    </div>
  );
}

/** `GET /analytics?since=…`: completion times per task kind, success and retry rates, utilisation, slow phases, cache, agent-hours. */
export function AnalyticsPage() {
  const [since, setSince] = useState<(typeof WINDOWS)[number]>('7d');
  const [state, setState] = useState<{ report?: AnalyticsReport; error?: string; missing?: boolean; loading: boolean }>({ loading: true });
  useEffect(() => {
    setState({ loading: true });
    api<AnalyticsReport>(`/analytics?since=${since}`).then(
      (report) => setState({ report, loading: false }),
      (err: Error) => setState({ loading: false, missing: err instanceof ApiError && err.status === 404, error: err.message }),
    );
  }, [since]);
  const { report } = state;
  const picker = (
    <span class="picker">
      {WINDOWS.map((w) => (
        <button type="button" key={w} class={w === since ? 'selected' : ''} onClick={() => setSince(w)}>
          {w}
        </button>
      ))}
    </span>
  );
  if (!report) {
    return (
      <Panel title="Analytics" actions={picker}>
        {state.loading ? <p class="muted">Loading…</p> : null}
        {state.missing ? (
          <p class="error-note" data-testid="analytics-missing">
            This coordinator has no analytics yet: <code>GET /analytics</code> answered 404 ({state.error}). It comes with the history store; until then `shoal status` and the run pages show live figures.
          </p>
        ) : (
          <ErrorNote error={state.error} />
        )}
      </Panel>
    );
  }
  const { times, perNode } = utilisationSeries(report);
  return (
    <div class="analytics-page">
      <Panel title={`Analytics, ${new Date(report.since).toLocaleString()} → ${new Date(report.until).toLocaleString()}`} actions={picker}>
        <div class="stats">
          <Stat label="runs" value={String(report.runs.total)} testId="stat-runs" />
          <Stat label="runs succeeded / failed / cancelled" value={`${report.runs.succeeded} / ${report.runs.failed} / ${report.runs.cancelled}`} />
          <Stat label="task attempts" value={String(report.tasks.attempts)} />
          <Stat label="task success rate" value={percent(report.tasks.successRate)} />
          <Stat label="retry rate" value={percent(report.tasks.retryRate)} />
          <Stat label="cache hit rate" value={`${percent(report.cache.hitRate)} (${report.cache.hits}/${report.cache.hits + report.cache.misses})`} />
          <Stat label="agent-hours" value={report.agentHours.toFixed(2)} />
        </div>
      </Panel>
      <Panel title="Completion time per task kind">
        {report.byKind.length === 0 ? (
          <p class="muted">No finished attempts in this window.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>kind</th>
                <th>attempts</th>
                <th>succeeded</th>
                <th>failed</th>
                <th>retried</th>
                <th>p50</th>
                <th>p95</th>
              </tr>
            </thead>
            <tbody>
              {report.byKind.map((k) => (
                <tr key={k.kind}>
                  <td>{k.kind}</td>
                  <td>{k.attempts}</td>
                  <td>{k.succeeded}</td>
                  <td>{k.failed}</td>
                  <td>{k.retried}</td>
                  <td>{formatDuration(k.p50Ms)}</td>
                  <td>{formatDuration(k.p95Ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      <Panel title="Utilisation per node (host CPU %)">
        {times.length === 0 ? <p class="muted">No node samples in this window.</p> : <TimeChart times={times} lines={perNode.map((n, i) => ({ label: n.nodeId, values: n.cpu, color: COLORS[i % COLORS.length]! }))} yMax={100} unit="%" height={200} />}
      </Panel>
      <Panel title="Slowest phases">
        {report.slowestPhases.length === 0 ? (
          <p class="muted">No finished phase in this window.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>phase</th>
                <th>plan</th>
                <th>run</th>
                <th>took</th>
              </tr>
            </thead>
            <tbody>
              {report.slowestPhases.map((p) => (
                <tr key={`${p.runId}/${p.phaseId}`}>
                  <td>{p.phaseId}</td>
                  <td>{p.plan}</td>
                  <td>
                    <a href={`#/runs/${encodeURIComponent(p.runId)}`}>{p.runId}</a>
                  </td>
                  <td>{formatDuration(p.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </div>
  );
}
