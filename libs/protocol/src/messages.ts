import { z } from 'zod';
import { Id } from './ids.js';
import { MenuChoice, MenuKeyList, MenuOptionView, MenuView } from './menus.js';
import { AgentStatus } from './observe.js';
import { TaskSpec } from './task-spec.js';

/** Version of the wire protocol; every message carries it as `v`. */
export const PROTOCOL_VERSION = 1 as const;
const v = z.literal(PROTOCOL_VERSION, { error: `unsupported protocol version (this build speaks ${PROTOCOL_VERSION})` });
const Ts = z.number().int().nonnegative();
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
  dispatchedAt: Ts,
  ...TaskSpec.shape,
  /**
   * The shared cache for this attempt's agent (docs/cache.md): the coordinator's `/cache` URL and a
   * task-scoped token (global, this run's and this team's namespaces), handed to the agent as
   * `SHOAL_CACHE_URL` / `SHOAL_CACHE_TOKEN`. Absent on an insecure coordinator.
   */
  cache: z.strictObject({ url: z.string().min(1).max(2048), token: z.string().min(1).max(2048) }).optional(),
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
  /** tmux socket name of the node (`tmux -L <tmuxSocket> attach -t <session>:<window>`). */
  tmuxSocket: z.string().max(128).optional(),
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

/** An interactive agent answered a check-in: the pane tail after its reply settled. */
export const TaskCheckin = z.strictObject({
  v,
  kind: z.literal('task.checkin'),
  ...TaskRef,
  nodeId: Id,
  /** Check-in number within this attempt, from 1. */
  seq: z.number().int().min(1),
  sentAt: Ts,
  /** When the reply was captured (settled, or the reply window ran out). */
  capturedAt: Ts,
  /** Agent state when the reply was captured (working, waiting-for-input, ...). */
  state: z.string().max(32),
  /** True when the prompt was seen in the pane before Enter was pressed. */
  verified: z.boolean(),
  reply: z.string().max(16 * 1024),
});
export type TaskCheckin = z.infer<typeof TaskCheckin>;

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
  /** Host CPU band of the node and what it decided (admission, throttled tasks). */
  band: z
    .strictObject({
      low: z.number().min(0).max(100),
      high: z.number().min(0).max(100),
      state: z.enum(['ok', 'above', 'below']),
      throttled: z.array(z.string().max(300)).max(10_000),
    })
    .optional(),
  /** Windows started ahead of time: how many are ready of the pool's size, or why the pool turned itself off. */
  warm: z
    .strictObject({
      ready: z.number().int().nonnegative(),
      size: z.number().int().nonnegative(),
      off: z.string().max(500).optional(),
    })
    .optional(),
  /** Status reports in the node's durable outbox not yet acknowledged by JetStream (absent: none). */
  outboxDepth: z.number().int().nonnegative().optional(),
  /** Messages the node terminated or refused as malformed since it started (work, control; absent: none). */
  malformed: z.number().int().nonnegative().optional(),
  running: z
    .array(
      z.strictObject({
        ...TaskRef,
        cpuPercent: z.number().nonnegative().optional(),
        rssMb: z.number().nonnegative().optional(),
        /** The agent's state as the node's detector reads its pane (absent: not observed yet). */
        agent: AgentStatus.optional(),
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
  /** Stops every task, then forgets local state (seen attempts, log index). */
  z.strictObject({ v, action: z.literal('reset') }),
  /** Reads the tail of a task's log file on the node (`data` of the reply). */
  z.strictObject({ v, action: z.literal('logs'), runId: Id, taskId: Id, attempt: Attempt.optional(), bytes: z.number().int().min(1).max(256 * 1024).optional() }),
  z.strictObject({ v, action: z.literal('ping') }),
  /** The end of an attempt as the node reported it (asked before the coordinator calls a silent attempt lost). */
  z.strictObject({ v, action: z.literal('result'), ...TaskRef }),
  /** Types one line into the task's pane, then Enter, verified from the screen. */
  z.strictObject({ v, action: z.literal('send'), runId: Id, taskId: Id, attempt: Attempt.optional(), text: z.string().min(1).max(8192) }),
  /** Reads the tail of the task's pane. */
  z.strictObject({ v, action: z.literal('capture'), runId: Id, taskId: Id, attempt: Attempt.optional(), lines: z.number().int().min(0).max(10_000).optional() }),
  /** Presses allowed key names (MENU_KEYS) in the task's pane; `changed` says whether the screen changed. */
  z.strictObject({ v, action: z.literal('keys'), runId: Id, taskId: Id, attempt: Attempt.optional(), keys: MenuKeyList }),
  /** Picks an option of the menu the task's agent shows (by number or label), confirms it, verifies the screen changed. */
  z.strictObject({ v, action: z.literal('choose'), runId: Id, taskId: Id, attempt: Attempt.optional(), option: MenuChoice }),
]);
export type ControlRequest = z.infer<typeof ControlRequest>;

/** A node's answer to a control request. */
export const ControlReply = z.strictObject({
  v,
  ok: z.boolean(),
  message: z.string().max(2000),
  affected: z.number().int().nonnegative().optional(),
  /** `send`: the text was seen in the pane before Enter was pressed. */
  verified: z.boolean().optional(),
  /** `capture`: the pane text. */
  text: z.string().max(128 * 1024).optional(),
  /** `logs`: the tail of the task's log file. */
  data: z.string().max(256 * 1024).optional(),
  /** `result`: the attempt's end, as the node reported it to JetStream. */
  result: TaskFinished.optional(),
  /** `keys`, `choose`: the screen changed afterwards. */
  changed: z.boolean().optional(),
  /** `choose`: the menu found, the option chosen and the keys pressed (`keys`: the keys pressed). */
  menu: MenuView.optional(),
  chosen: MenuOptionView.optional(),
  keys: z.array(z.string().max(20)).max(200).optional(),
});
export type ControlReply = z.infer<typeof ControlReply>;

/** The coordinator's auto-scaling decision, published on `<ns>.scale` every few seconds (an actuator, KEDA or an operator acts on it: docs/scaling.md). */
export const ScaleDecided = z.strictObject({
  v,
  kind: z.literal('scale.decided'),
  current: z.number().int().nonnegative(),
  desired: z.number().int().nonnegative(),
  direction: z.enum(['up', 'down', 'hold']),
  reasons: z.array(z.string().max(2000)).max(20),
  queueDepth: z.number().int().nonnegative(),
  oldestWaitMs: z.number().nonnegative(),
  cpuUtilisation: z.number().nonnegative(),
  expectedTaskMs: z.number().nonnegative(),
  decidedAt: Ts,
});
export type ScaleDecided = z.infer<typeof ScaleDecided>;
