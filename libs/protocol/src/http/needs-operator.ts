import { NEEDS_OPERATOR, type AgentStatus } from '../observe.js';
import type { RunView } from '../run-view.js';
import type { NodeRow } from './nodes.js';

/** A running agent whose screen says it needs someone: waiting for input, in a menu, stalled or in error. */
export interface AgentNeedingInput {
  runId: string;
  taskId: string;
  attempt: number;
  nodeId: string;
  /** Its detected state and since when (node clock). */
  agent: AgentStatus;
}

/**
 * The agents across the fleet that need an operator (`shoal status --needs-me`, the MCP tool
 * `agents_needing_input`), from `GET /nodes`: the running attempts of nodes not lost whose agent
 * state is in {@link NEEDS_OPERATOR}, longest waiting first; `runId` keeps one run's.
 */
export function agentsNeedingInput(nodes: readonly NodeRow[], runId?: string): AgentNeedingInput[] {
  const rows = nodes
    .filter((n) => n.state !== 'lost')
    .flatMap((n) => n.running.map((r) => ({ runId: r.runId, taskId: r.taskId, attempt: r.attempt, nodeId: n.id, agent: r.agent })))
    .filter((r): r is AgentNeedingInput => !!r.agent && NEEDS_OPERATOR.has(r.agent.state) && (runId === undefined || r.runId === runId));
  return byLongestWaiting(rows);
}

/**
 * The same list for one run, from its view (`GET /runs/:id`, which a task token of that run may
 * read): its running tasks whose agent state needs an operator, longest waiting first.
 */
export function runAgentsNeedingInput(run: RunView): AgentNeedingInput[] {
  const rows = run.tasks
    .filter((t) => t.state === 'running' && !!t.agent && NEEDS_OPERATOR.has(t.agent.state))
    .map((t) => ({ runId: run.id, taskId: t.id, attempt: t.attempt, nodeId: t.nodeId ?? '', agent: t.agent! }));
  return byLongestWaiting(rows);
}

function byLongestWaiting(rows: AgentNeedingInput[]): AgentNeedingInput[] {
  return rows.sort((a, b) => a.agent.since - b.agent.since);
}
