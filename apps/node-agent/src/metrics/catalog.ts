import type { MetricCatalog } from '@shoal/runtime';

/**
 * Every metric a node-agent exposes on its own `/metrics` (`SHOAL_METRICS_PORT`), declared once
 * (docs/observability.md lists them; a unit test keeps the two in step). What is about this host
 * only: its CPU and memory, its CPU band, its agents, its outbox, the tasks it started and
 * finished, what its governor did. Labels: task kind (`team/role/program`), states, outcomes.
 */
export const NODE_METRICS = {
  hostCpu: { name: 'shoal.host.cpu.utilization', kind: 'gauge', unit: '1', description: 'Host CPU busy share (0..1), all cores.', labels: [] },
  hostLoad: { name: 'shoal.host.cpu.load_average.1m', kind: 'gauge', unit: '{run_queue_item}', description: 'Host load average over 1 minute.', labels: [] },
  hostMemoryUsage: { name: 'shoal.host.memory.usage', kind: 'gauge', unit: 'By', description: 'Host memory in use.', labels: [] },
  hostMemoryLimit: { name: 'shoal.host.memory.limit', kind: 'gauge', unit: 'By', description: 'Host memory.', labels: [] },
  bandLimit: { name: 'shoal.band.limit', kind: 'gauge', unit: '1', description: 'Bounds of the CPU band (0..1), by bound (low, high); absent when the band is off.', labels: ['bound'] },
  bandPosition: { name: 'shoal.band.position', kind: 'gauge', unit: '1', description: 'Where host CPU sits in the band: (cpu - low) / (high - low); below 0 under it, above 1 over it.', labels: [] },
  bandState: { name: 'shoal.band.state', kind: 'gauge', unit: '', description: 'Band state as a state set (1 for the current one of below, ok, above).', labels: ['state'] },
  bandThrottled: { name: 'shoal.band.throttled', kind: 'gauge', unit: '{agent}', description: 'Agents the band holds at the CPU floor.', labels: [] },
  governorActions: { name: 'shoal.governor.actions', kind: 'observable-counter', unit: '{action}', description: 'What the band did through the resource governor: throttle, restore, admission-closed, admission-opened.', labels: ['action'] },
  governor: { name: 'shoal.governor.info', kind: 'gauge', unit: '', description: 'The resource governor in use (1 for its kind: cgroup-v2, cgroup-v1, fallback, none).', labels: ['kind'] },
  agents: { name: 'shoal.agents', kind: 'gauge', unit: '{agent}', description: 'Agents running here by detected state (unknown until observed).', labels: ['state'] },
  agentCpu: { name: 'shoal.agent.cpu.usage', kind: 'gauge', unit: '{cpu}', description: 'CPU of running agents in cores (1 = one full core), summed per task kind.', labels: ['task_kind'] },
  agentMemory: { name: 'shoal.agent.memory.rss', kind: 'gauge', unit: 'By', description: 'Resident memory of running agents, summed per task kind.', labels: ['task_kind'] },
  outboxDepth: { name: 'shoal.outbox.depth', kind: 'gauge', unit: '{report}', description: 'Status reports in the durable outbox not yet acknowledged by JetStream.', labels: [] },
  warmReady: { name: 'shoal.warm_pool.ready', kind: 'gauge', unit: '{window}', description: 'Windows started ahead of time and ready for a task.', labels: [] },
  tasksStarted: { name: 'shoal.node.tasks.started', kind: 'counter', unit: '{attempt}', description: 'Task attempts this node started (task.started reported).', labels: ['task_kind'] },
  tasksFinished: { name: 'shoal.node.tasks.finished', kind: 'counter', unit: '{attempt}', description: 'Task attempts that ended on this node, by outcome (succeeded, failed, timed-out, cancelled, lost, rejected).', labels: ['task_kind', 'outcome'] },
  duplicateDeliveries: { name: 'shoal.work.duplicate_deliveries', kind: 'observable-counter', unit: '{message}', description: 'Work messages of attempts already started here (redelivered or republished), acked and not run again.', labels: [] },
  malformed: { name: 'shoal.malformed_messages', kind: 'observable-counter', unit: '{message}', description: 'Work and control messages this node refused as malformed.', labels: [] },
} as const satisfies MetricCatalog;
