import { z } from 'zod';
import type { RunState, TaskState } from '../lifecycle.js';
import type { RunEvent, RunView } from '../run-view.js';

/**
 * HTTP shapes of runs and their tasks: `POST /runs` (plan text or JSON) and `GET /runs/:id`,
 * `POST /runs/:id/cancel`, `POST /runs/:id/tasks/:task/retry|skip|cancel` answer a {@link RunView}.
 */

/** `GET /runs`: one row per run, newest first. */
export interface RunSummary {
  id: string;
  plan: string;
  state: RunState;
  submittedAt: number;
  finishedAt?: number;
  /** How many tasks the run has. */
  tasks: number;
}

/** The request header that makes `POST /runs` safe to retry (the same key answers the same run). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** The answer header set when `POST /runs` returned the run an earlier request with the same key started. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/**
 * An `Idempotency-Key`: 1 to 128 letters, digits and `._:-` (a UUID fits). A client sends a new
 * key per submission and the same key on every retry of it.
 */
export const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1 to 128 letters, digits or . _ : - (e.g. a UUID), one key per submission, the same on its retries');
export type IdempotencyKey = z.infer<typeof IdempotencyKey>;

/** The longest line `POST /runs/:id/tasks/:task/send` types into a pane. */
export const SEND_TEXT_MAX = 8192;

const ONE_LINE = `must be one line of 1 to ${SEND_TEXT_MAX} characters without control characters`;

/** True when `v` is text `send` may type: one line, 1 to {@link SEND_TEXT_MAX} characters, no control characters. */
function isSendableLine(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= SEND_TEXT_MAX && !/[\u0000-\u001f\u007f]/.test(v);
}

/**
 * `POST /runs/:id/tasks/:task/send {text}`: one line typed into the running task's pane, then
 * Enter. Other fields are ignored.
 */
export const SendTextRequest = z.object({ text: z.custom<string>(isSendableLine, ONE_LINE) });
export type SendTextRequest = z.infer<typeof SendTextRequest>;

/** Which attempt of a running task a pane request reached, and the node's word on it. */
interface PaneReplyBase {
  runId: string;
  taskId: string;
  attempt: number;
  nodeId: string;
  message: string;
}

/** Answer of `send`: `verified` says the text was seen in the pane before Enter was pressed. */
export interface TaskSendReply extends PaneReplyBase {
  verified: boolean;
}

/** Answer of `GET /runs/:id/tasks/:task/capture?lines=`: the pane's text. */
export interface TaskCaptureReply extends PaneReplyBase {
  text: string;
}

/**
 * How the logs endpoint gives a task's output (`?render=`): `text` (default), played in a headless
 * terminal of the pane's size and read back as lines (cursor moves become spaces and new lines,
 * escape sequences leave nothing, a repainted screen appears once); `raw`, the recorded terminal
 * bytes unchanged (decoded as UTF-8; only from the node's log file, `source=node`).
 */
export type LogRender = 'text' | 'raw';

/** The values `?render=` takes. */
export const LOG_RENDERS: readonly LogRender[] = ['text', 'raw'];

/** `GET /runs/:id/tasks/:task/logs`: the tail of streamed output the coordinator keeps (already rendered as text on the node). */
export interface StreamedLogReply {
  runId: string;
  taskId: string;
  attempt: number;
  source: 'stream';
  state: TaskState;
  /** Older output was dropped from the coordinator's bounded ring. */
  truncated: boolean;
  render: 'text';
  text: string;
}

/** `GET /runs/:id/tasks/:task/logs?source=node[&bytes=&attempt=&render=]`: the tail of the log file on the task's node. */
export interface NodeLogReply {
  runId: string;
  taskId: string;
  attempt: number;
  source: 'node';
  nodeId: string;
  /** The log file's path on the node. */
  file: string;
  /** `text`: the tail rendered; `raw`: its bytes as recorded. */
  render: LogRender;
  text: string;
}

/** Either answer of the logs endpoint (`source` tells which). */
export type TaskLogReply = StreamedLogReply | NodeLogReply;

/**
 * Server-sent events of `GET /runs/:id/events`: a `snapshot` of the run first (and again when it
 * ends), then each {@link RunEvent} under its `type` as the event name.
 */
export type RunStreamMessage = { event: 'snapshot'; data: RunView } | { event: RunEvent['type']; data: RunEvent };

/**
 * Server-sent events of `GET /events` (the fleet stream): the run list as `runs` first, then every
 * run event of every run except `output`, each under its `type`.
 */
export type FleetStreamMessage = { event: 'runs'; data: RunSummary[] } | { event: Exclude<RunEvent['type'], 'output'>; data: Exclude<RunEvent, { type: 'output' }> };
