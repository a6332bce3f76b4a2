import { TASK_DEFAULTS, type Heartbeat, type PlanTask } from '@shoal/protocol';
import type { NodeView, TaskDemand } from './types.js';

/** The queue key of one attempt of one task: `<runId>.<taskId>.<attempt>` (also the JetStream msg id). */
export function demandKey(runId: string, taskId: string, attempt: number): string {
  return `${runId}.${taskId}.${attempt}`;
}

/** A plan task's placement demand for one attempt, with the plan defaults applied. */
export function demandFromTask(runId: string, task: PlanTask, attempt: number, enqueuedAt: number): TaskDemand {
  return {
    key: demandKey(runId, task.id, attempt),
    runId,
    taskId: task.id,
    team: task.team,
    role: task.role,
    cpuPercent: task.resources?.cpu ?? TASK_DEFAULTS.cpu,
    memoryMb: task.resources?.memory ?? TASK_DEFAULTS.memory,
    priority: task.priority ?? TASK_DEFAULTS.priority,
    ...(task.requires ? { requires: task.requires } : {}),
    ...(task.batch ? { batch: task.batch } : {}),
    ...(task.requires?.agent ? { preset: task.requires.agent } : {}),
    enqueuedAt,
  };
}

/**
 * A node view from the node's latest heartbeat. `committed` is the sum of the budgets of the tasks
 * the coordinator placed there and has not seen finish (the coordinator's ledger, not the heartbeat,
 * so placements made since the last pulse count).
 */
export function nodeViewFromHeartbeat(hb: Heartbeat, alive: boolean, committed: NodeView['committed']): NodeView {
  return {
    id: hb.nodeId,
    labels: hb.labels,
    alive,
    capacity: { ...hb.capacity },
    committed: { ...committed },
    hostCpuPercent: hb.host.cpuPercent,
  };
}
