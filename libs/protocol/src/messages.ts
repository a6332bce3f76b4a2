import { z } from 'zod';
import { Id, Role } from './ids.js';

/** Version of the wire protocol; every message carries it as `v`. */
export const PROTOCOL_VERSION = 1 as const;
const v = z.literal(PROTOCOL_VERSION, { error: `unsupported protocol version (this build speaks ${PROTOCOL_VERSION})` });
const Ts = z.number().int().nonnegative();
const Argv = z.array(z.string().max(8192)).min(1).max(256);
const Attempt = z.number().int().min(1).max(100);

/** Fields that identify one attempt of one task of one run. */
const TaskRef = { runId: Id, taskId: Id, attempt: Attempt };

/** A run was accepted by the coordinator. */
export const RunSubmitted = z.strictObject({
  v,
  kind: z.literal('run.submitted'),
  runId: Id,
  plan: Id,
  submittedAt: Ts,
  tasks: z.number().int().nonnegative(),
});
export type RunSubmitted = z.infer<typeof RunSubmitted>;

/** Work for one node: start this attempt of this task. Published on the node's work subject. */
export const TaskDispatched = z.strictObject({
  v,
  kind: z.literal('task.dispatched'),
  ...TaskRef,
  phaseId: Id,
  nodeId: Id,
  team: Id,
  role: Role,
  command: Argv,
  cwd: z.string().max(4096).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cpuPercent: z.number().int().min(1).max(6400),
  memoryMb: z.number().int().min(1).max(1_048_576),
  timeoutMs: z.number().int().positive().optional(),
  priority: z.number().int(),
  dispatchedAt: Ts,
});
export type TaskDispatched = z.infer<typeof TaskDispatched>;

/** The task's process is running in its tmux window. */
export const TaskStarted = z.strictObject({
  v,
  kind: z.literal('task.started'),
  ...TaskRef,
  nodeId: Id,
  startedAt: Ts,
  session: z.string().max(128),
  window: z.string().max(128),
  pid: z.number().int().positive().optional(),
  governor: z.string().max(32).optional(),
});
export type TaskStarted = z.infer<typeof TaskStarted>;

/** A batch of a task's output lines (lossy, rate-limited; the full log stays on the node). */
export const TaskOutput = z.strictObject({
  v,
  kind: z.literal('task.output'),
  ...TaskRef,
  nodeId: Id,
  seq: z.number().int().nonnegative(),
  text: z.string().max(64 * 1024),
});
export type TaskOutput = z.infer<typeof TaskOutput>;

/** How an attempt ended. */
export const TaskOutcome = z.enum(['succeeded', 'failed', 'timed-out', 'cancelled', 'lost', 'rejected']);
export type TaskOutcome = z.infer<typeof TaskOutcome>;

/** The attempt ended (or could not start); carries the exit status and the tail of the output. */
export const TaskFinished = z.strictObject({
  v,
  kind: z.literal('task.finished'),
  ...TaskRef,
  nodeId: Id,
  outcome: TaskOutcome,
  exitCode: z.number().int().nullable(),
  signal: z.string().max(32).optional(),
  reason: z.string().max(2000).optional(),
  startedAt: Ts.optional(),
  finishedAt: Ts,
  outputTail: z.string().max(16 * 1024),
});
export type TaskFinished = z.infer<typeof TaskFinished>;

/** Status reports a node publishes about its tasks. */
export const TaskStatus = z.discriminatedUnion('kind', [TaskStarted, TaskFinished]);
export type TaskStatus = z.infer<typeof TaskStatus>;

/** What a node reports every pulse. */
export const Heartbeat = z.strictObject({
  v,
  kind: z.literal('node.heartbeat'),
  nodeId: Id,
  hostname: z.string().max(255),
  sentAt: Ts,
  startedAt: Ts,
  pulseMs: z.number().int().min(500).max(60_000),
  labels: z.record(z.string(), z.string()),
  governor: z.enum(['cgroup-v2', 'cgroup-v1', 'fallback', 'none']),
  capacity: z.strictObject({
    cpuPercent: z.number().nonnegative(),
    memoryMb: z.number().nonnegative(),
    maxTasks: z.number().int().nonnegative(),
  }),
  host: z.strictObject({
    cpuPercent: z.number().min(0).max(100),
    memUsedMb: z.number().nonnegative(),
    memTotalMb: z.number().nonnegative(),
    load1: z.number().nonnegative(),
    cores: z.number().int().positive(),
  }),
  running: z
    .array(
      z.strictObject({
        ...TaskRef,
        cpuPercent: z.number().nonnegative().optional(),
        rssMb: z.number().nonnegative().optional(),
      }),
    )
    .max(10_000),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

/** Operator commands sent to one node (request/reply). */
export const ControlRequest = z.discriminatedUnion('action', [
  z.strictObject({ v, action: z.literal('cancel'), ...TaskRef, reason: z.string().max(500).optional() }),
  z.strictObject({ v, action: z.literal('stop-all') }),
  z.strictObject({ v, action: z.literal('emergency-cleanup') }),
  z.strictObject({ v, action: z.literal('ping') }),
]);
export type ControlRequest = z.infer<typeof ControlRequest>;

/** A node's answer to a control request. */
export const ControlReply = z.strictObject({
  v,
  ok: z.boolean(),
  message: z.string().max(2000),
  affected: z.number().int().nonnegative().optional(),
});
export type ControlReply = z.infer<typeof ControlReply>;
