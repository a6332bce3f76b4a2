import { TimeChart } from '../charts/time-chart.js';
import { nodes } from '../live.js';
import { useStore } from '../store.js';
import { type NodeRow, needsYou } from '../types.js';
import { ErrorNote, Panel, StateBadge, ago } from '../ui.js';

/** One node: liveness, CPU over time with its band shaded, memory over time, what runs there. */
export function NodeCard({ node, compact }: { node: NodeRow; compact?: boolean }) {
  const { history } = useStore(nodes);
  const samples = history[node.id] ?? [];
  const times = samples.map((s) => s.t);
  const band = node.band ? { low: node.band.low, high: node.band.high } : undefined;
  const waiting = node.running.filter((r) => needsYou(r.agent?.state)).length;
  return (
    <article class={`node-card node-${node.state}`} data-node={node.id} data-samples={samples.length}>
      <header>
        <h3>{node.id}</h3>
        <StateBadge state={node.state} title={`last heartbeat ${ago(node.lastHeartbeatAt)}`} />
      </header>
      <dl class="facts">
        <dt>host</dt>
        <dd>{node.hostname}</dd>
        <dt>CPU</dt>
        <dd>
          {node.host.cpuPercent.toFixed(0)}% of {node.host.cores} cores
          {node.band ? (
            <span class={`band band-${node.band.state}`} title={`band ${node.band.low}-${node.band.high}%`}>
              {' '}
              band {node.band.low}–{node.band.high}% ({node.band.state})
            </span>
          ) : (
            <span class="muted"> band off</span>
          )}
        </dd>
        <dt>memory</dt>
        <dd>
          {(node.host.memUsedMb / 1024).toFixed(1)} / {(node.host.memTotalMb / 1024).toFixed(1)} GB
        </dd>
        <dt>tasks</dt>
        <dd>
          {node.running.length} running of {node.capacity.maxTasks}
          {waiting > 0 ? <span class="needs-count"> {waiting === 1 ? "1 needs you" : `${waiting} need you`}</span> : null}
          {node.band && node.band.throttled.length > 0 ? <span class="muted"> · {node.band.throttled.length} throttled</span> : null}
        </dd>
        <dt>governor</dt>
        <dd>{node.governor}</dd>
      </dl>
      {!compact && node.running.length > 0 ? (
        <ul class="running">
          {node.running.map((r) => (
            <li key={`${r.runId}/${r.taskId}/${r.attempt}`} class={needsYou(r.agent?.state) ? 'needs-you' : ''}>
              {r.agent ? <StateBadge state={r.agent.state} /> : null}{' '}
              <a href={`#/runs/${encodeURIComponent(r.runId)}/tasks/${encodeURIComponent(r.taskId)}`}>{r.taskId}</a> <span class="muted">{r.runId}</span>
              {r.cpuPercent !== undefined ? <span class="muted"> · {r.cpuPercent.toFixed(0)}% CPU</span> : null}
              {r.rssMb !== undefined ? <span class="muted"> · {r.rssMb.toFixed(0)} MB</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
      <div class="charts">
        <div>
          <h4>host CPU %{band ? `, band ${band.low}–${band.high}% shaded` : ''}</h4>
          <TimeChart times={times} lines={[{ label: 'host CPU', values: samples.map((s) => s.cpu), color: '#58a6ff', fill: 'rgba(88,166,255,0.15)' }]} yMax={100} unit="%" band={band} height={compact ? 130 : 170} />
        </div>
        <div>
          <h4>memory used, GB of {(node.host.memTotalMb / 1024).toFixed(1)}</h4>
          <TimeChart times={times} lines={[{ label: 'used', values: samples.map((s) => s.mem / 1024), color: '#d2a8ff', fill: 'rgba(210,168,255,0.15)' }]} yMax={node.host.memTotalMb ? node.host.memTotalMb / 1024 : undefined} unit=" GB" height={compact ? 130 : 170} />
        </div>
      </div>
    </article>
  );
}

/** Every node the coordinator knows, polled from `GET /nodes`. */
export function NodesPanel({ compact }: { compact?: boolean }) {
  const { nodes: rows, error, loadedAt } = useStore(nodes);
  return (
    <Panel id="nodes" title="Nodes" actions={<span class="muted">{loadedAt ? `updated ${ago(loadedAt)}` : ''}</span>}>
      <ErrorNote error={error} />
      {rows.length === 0 ? <p class="muted">No node has joined. Start one with `shoal join`.</p> : null}
      <div class="node-grid">
        {rows.map((n) => (
          <NodeCard key={n.id} node={n} compact={compact} />
        ))}
      </div>
    </Panel>
  );
}
