import { nodes } from '../live.js';
import { useStore } from '../store.js';
import { orderAgents } from '../derive.js';
import { needsYou } from '../types.js';
import { Panel, StateBadge, ago } from '../ui.js';

/** Every agent running on the fleet (from node heartbeats), "needs you" on top. */
export function AgentsPanel() {
  const { nodes: rows } = useStore(nodes);
  const agents = orderAgents(rows.flatMap((n) => (n.state === 'lost' ? [] : n.running.map((r) => ({ ...r, nodeId: n.id })))));
  const waiting = agents.filter((a) => needsYou(a.agent?.state)).length;
  return (
    <Panel id="agents" title={waiting > 0 ? <>Agents <span class="needs-count">{waiting === 1 ? "1 needs you" : `${waiting} need you`}</span></> : 'Agents'}>
      {agents.length === 0 ? (
        <p class="muted">No agent is running.</p>
      ) : (
        <table class="agents">
          <thead>
            <tr>
              <th>state</th>
              <th>task</th>
              <th>node</th>
              <th>since</th>
              <th>CPU</th>
              <th>RSS</th>
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => (
              <tr key={`${a.runId}/${a.taskId}/${a.attempt}`} class={needsYou(a.agent?.state) ? 'needs-you' : ''} data-agent={`${a.runId}/${a.taskId}`}>
                <td>{a.agent ? <StateBadge state={a.agent.state} /> : <span class="muted">not reported</span>}</td>
                <td>
                  <a href={`#/runs/${encodeURIComponent(a.runId)}/tasks/${encodeURIComponent(a.taskId)}`}>
                    {a.taskId}
                  </a>{' '}
                  <span class="muted">
                    {a.runId} #{a.attempt}
                  </span>
                </td>
                <td>{a.nodeId}</td>
                <td>{a.agent ? ago(a.agent.since) : '–'}</td>
                <td>{a.cpuPercent !== undefined ? `${a.cpuPercent.toFixed(0)}%` : '–'}</td>
                <td>{a.rssMb !== undefined ? `${a.rssMb.toFixed(0)} MB` : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}
