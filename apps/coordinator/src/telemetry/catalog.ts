import type { MetricCatalog } from '@shoal/runtime';

/** Buckets of task run times, in s: from quick checks to agents that work for hours. */
export const TASK_DURATION_BUCKETS = [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400] as const;
/** Buckets of coordinator-side waits (dispatch, phase hand-off), in s. */
export const WAIT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] as const;
/** Buckets of state store writes, in s: a healthy JetStream answers in a millisecond or two. */
export const WRITE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/**
 * Every metric the coordinator exposes on `GET /metrics`, declared once (docs/observability.md
 * lists them; a unit test keeps the two in step). Names follow the OpenTelemetry semantic
 * conventions; the Prometheus names add the unit (`shoal.task.duration` in s ->
 * `shoal_task_duration_seconds`) and `_total` on counters. Labels have bounded values: task kind
 * (`team/role/program`), node id, states and outcomes; never a run id.
 */
export const COORDINATOR_METRICS = {
  // tasks
  taskDuration: { name: 'shoal.task.duration', kind: 'histogram', unit: 's', description: 'Run time of task attempts that ran (node start to node finish), by task kind and outcome.', labels: ['task_kind', 'outcome'], buckets: TASK_DURATION_BUCKETS },
  tasksStarted: { name: 'shoal.tasks.started', kind: 'counter', unit: '{attempt}', description: 'Task attempts a node reported running.', labels: ['task_kind'] },
  tasksFinished: { name: 'shoal.tasks.finished', kind: 'counter', unit: '{task}', description: 'Tasks that reached a final state (succeeded, failed, cancelled, skipped).', labels: ['task_kind', 'outcome'] },
  tasksFailed: { name: 'shoal.tasks.failed', kind: 'counter', unit: '{attempt}', description: 'Task attempts that failed (the retried ones included).', labels: ['task_kind'] },
  tasksRetried: { name: 'shoal.tasks.retried', kind: 'counter', unit: '{attempt}', description: 'Retries scheduled after a failed attempt.', labels: ['task_kind'] },
  dispatchLatency: { name: 'shoal.task.dispatch.latency', kind: 'histogram', unit: 's', description: 'From an attempt being queued (submitted, or its phase started, or its retry due) to its node reporting it running.', labels: ['task_kind'], buckets: WAIT_BUCKETS },
  phaseHandoff: { name: 'shoal.phase.handoff.gap', kind: 'histogram', unit: 's', description: 'From the latest phase of a run finishing to the first task of the next phase running.', labels: [], buckets: WAIT_BUCKETS },
  queueDepth: { name: 'shoal.queue.depth', kind: 'gauge', unit: '{task}', description: 'Tasks queued for placement.', labels: [] },
  queueOldestWait: { name: 'shoal.queue.oldest_wait', kind: 'gauge', unit: 's', description: 'How long the oldest queued task has waited.', labels: [] },
  cacheLookups: { name: 'shoal.cache.lookups', kind: 'counter', unit: '{lookup}', description: 'Result-cache lookups of cacheable tasks, by result (hit, miss).', labels: ['result'] },
  sharedCacheLookups: { name: 'shoal.shared_cache.lookups', kind: 'counter', unit: '{lookup}', description: 'Reads of the cache agents share (GET /cache/:ns/:key), by result (hit, miss; an expired entry is a miss).', labels: ['result'] },
  sharedCacheWrites: { name: 'shoal.shared_cache.writes', kind: 'counter', unit: '{write}', description: 'Puts into the cache agents share, by result (stored, too_large).', labels: ['result'] },
  sharedCacheExpired: { name: 'shoal.shared_cache.expired', kind: 'counter', unit: '{entry}', description: 'Expired shared-cache entries the leader swept out of the bucket.', labels: [] },
  workUndeliverable: { name: 'shoal.work.undeliverable', kind: 'counter', unit: '{attempt}', description: 'Attempts whose work JetStream gave up delivering (max deliveries).', labels: [] },
  reconciled: { name: 'shoal.reconciled', kind: 'counter', unit: '{attempt}', description: 'Attempts the reconciler acted on, by action (lost, recovered, reclaim, stop).', labels: ['action'] },
  // nodes (from heartbeats)
  nodes: { name: 'shoal.nodes', kind: 'gauge', unit: '{node}', description: 'Known nodes by liveness state (alive, suspect, lost).', labels: ['state'] },
  nodeCpu: { name: 'shoal.node.cpu.utilization', kind: 'gauge', unit: '1', description: 'Host CPU busy share of a node (0..1), from its heartbeat.', labels: ['node'] },
  nodeBandLimit: { name: 'shoal.node.cpu.band.limit', kind: 'gauge', unit: '1', description: 'Bounds of the node CPU band (0..1), by bound (low, high).', labels: ['node', 'bound'] },
  nodeBandPosition: { name: 'shoal.node.cpu.band.position', kind: 'gauge', unit: '1', description: 'Where host CPU sits in the band: (cpu - low) / (high - low); below 0 under the band, above 1 over it.', labels: ['node'] },
  nodeBandState: { name: 'shoal.node.cpu.band.state', kind: 'gauge', unit: '', description: 'The band state a node reports (1 for its current state of below, ok, above).', labels: ['node', 'state'] },
  nodeThrottled: { name: 'shoal.node.band.throttled', kind: 'gauge', unit: '{agent}', description: 'Agents the node band holds at the CPU floor.', labels: ['node'] },
  nodeMemoryUsage: { name: 'shoal.node.memory.usage', kind: 'gauge', unit: 'By', description: 'Host memory in use on a node.', labels: ['node'] },
  nodeMemoryLimit: { name: 'shoal.node.memory.limit', kind: 'gauge', unit: 'By', description: 'Host memory of a node.', labels: ['node'] },
  nodeOutbox: { name: 'shoal.node.outbox.depth', kind: 'gauge', unit: '{report}', description: 'Status reports in a node outbox not yet acknowledged by JetStream.', labels: ['node'] },
  heartbeatLag: { name: 'shoal.node.heartbeat.lag', kind: 'gauge', unit: 's', description: 'Last heartbeat of a node: coordinator receive time minus node send time (transit plus clock skew).', labels: ['node'] },
  heartbeatAge: { name: 'shoal.node.heartbeat.age', kind: 'gauge', unit: 's', description: 'Time since the last heartbeat of a node arrived.', labels: ['node'] },
  nodeMalformed: { name: 'shoal.node.malformed_messages', kind: 'observable-counter', unit: '{message}', description: 'Messages a node refused as malformed since it started (its heartbeat count).', labels: ['node'] },
  agents: { name: 'shoal.agents', kind: 'gauge', unit: '{agent}', description: 'Running agents by node and detected state (unknown until observed).', labels: ['node', 'state'] },
  agentCpu: { name: 'shoal.agent.cpu.usage', kind: 'gauge', unit: '{cpu}', description: 'CPU of running agents in cores (1 = one full core, as container.cpu.usage), summed per node and task kind.', labels: ['node', 'task_kind'] },
  agentMemory: { name: 'shoal.agent.memory.rss', kind: 'gauge', unit: 'By', description: 'Resident memory of running agents, summed per node and task kind.', labels: ['node', 'task_kind'] },
  // resilience and scaling
  breakers: { name: 'shoal.breakers', kind: 'gauge', unit: '{breaker}', description: 'Circuit breakers that are not closed, by kind (node, preset) and state (open, half-open).', labels: ['kind', 'state'] },
  breakerTransitions: { name: 'shoal.breaker.transitions', kind: 'counter', unit: '{transition}', description: 'Circuit breaker state changes, by kind and new state.', labels: ['kind', 'to'] },
  scalingDecisions: { name: 'shoal.scaling.decisions', kind: 'counter', unit: '{decision}', description: 'Auto-scaling decisions, by direction (up, down, hold).', labels: ['direction'] },
  desiredNodes: { name: 'shoal.desired_nodes', kind: 'gauge', unit: '{node}', description: 'Nodes the latest scaling decision asks for.', labels: [] },
  scaleActions: { name: 'shoal.scale.actions', kind: 'counter', unit: '{action}', description: 'Attempts of the scale actuator to set the fleet size, by actuator (kubernetes, command) and outcome (applied, unchanged, failed).', labels: ['actuator', 'outcome'] },
  scaleTarget: { name: 'shoal.scale.target', kind: 'gauge', unit: '{node}', description: 'Fleet size the scale actuator works towards (the latest up/down decision within its bounds).', labels: [] },
  // the coordinator itself
  leader: { name: 'shoal.leader', kind: 'gauge', unit: '', description: '1 while this coordinator leads (dispatches), else 0.', labels: [] },
  livenessJudging: { name: 'shoal.liveness.judging', kind: 'gauge', unit: '', description: '1 while node liveness is judged, 0 while suspended (bus trouble).', labels: [] },
  malformedMessages: { name: 'shoal.malformed_messages', kind: 'counter', unit: '{message}', description: 'Messages the coordinator refused, by kind (subject or check that failed).', labels: ['kind'] },
  stateWriteFailures: { name: 'shoal.state.write_failures', kind: 'counter', unit: '{write}', description: 'Run state writes that failed, by reason (conflict, transport).', labels: ['reason'] },
  stateWriteDuration: { name: 'shoal.state.write.duration', kind: 'histogram', unit: 's', description: 'Run state writes that were stored, from the write starting to the store confirming its head (its pages and retries included).', labels: [], buckets: WRITE_BUCKETS },
  stateDirtyRuns: { name: 'shoal.state.dirty_runs', kind: 'gauge', unit: '{run}', description: 'Runs whose latest state is not stored yet.', labels: [] },
  planIntakeWaiting: { name: 'shoal.plan_intake.waiting', kind: 'gauge', unit: '{plan}', description: 'Plans waiting for an intake worker.', labels: [] },
  planIntakeBusy: { name: 'shoal.plan_intake.busy', kind: 'gauge', unit: '{worker}', description: 'Intake workers checking a plan.', labels: [] },
  loopDelayMax: { name: 'shoal.event_loop.delay.max', kind: 'gauge', unit: 's', description: 'Longest event-loop delay in the worst 1 s window of the last 10 s.', labels: [] },
  loopDelayP99: { name: 'shoal.event_loop.delay.p99', kind: 'gauge', unit: 's', description: '99th percentile event-loop delay in the worst 1 s window of the last 10 s.', labels: [] },
  loopBusyMax: { name: 'shoal.event_loop.busy.max', kind: 'gauge', unit: 's', description: 'Most CPU time the main thread used between two 20 ms probes in the last 10 s (our own blocking).', labels: [] },
} as const satisfies MetricCatalog;
