import { z } from 'zod';
import { parseDuration } from './duration.js';
import { ValidationError } from './errors.js';
import { TaskOutcome } from './messages.js';

const Ts = z.number().int().nonnegative();
const Name = z.string().min(1).max(200);

/**
 * One finished task attempt, as the leader coordinator records it in the history stream.
 * `kind` is `taskKind()` of @shoal/scheduler (`team/role/program`). A result-cache hit is an
 * attempt that succeeded without running (`cache: 'hit'`, no `startedAt`); a cacheable task that
 * ran is a `'miss'`; tasks without `cache:` carry no `cache` field.
 */
export const AttemptRecord = z.strictObject({
  type: z.literal('attempt'),
  runId: Name,
  plan: Name,
  phaseId: Name,
  taskId: Name,
  kind: z.string().max(600),
  attempt: z.number().int().min(1).max(1000),
  nodeId: Name.optional(),
  queuedAt: Ts.optional(),
  startedAt: Ts.optional(),
  finishedAt: Ts,
  outcome: TaskOutcome,
  exitCode: z.number().int().nullable().optional(),
  cache: z.enum(['hit', 'miss']).optional(),
});
export type AttemptRecord = z.infer<typeof AttemptRecord>;

/** A run that reached a terminal state. */
export const RunRecord = z.strictObject({
  type: z.literal('run'),
  runId: Name,
  plan: Name,
  state: z.enum(['succeeded', 'failed', 'cancelled']),
  submittedAt: Ts,
  startedAt: Ts.optional(),
  finishedAt: Ts,
  tasks: z.number().int().nonnegative(),
  traceId: z.string().max(64).optional(),
});
export type RunRecord = z.infer<typeof RunRecord>;

/** A phase that finished (succeeded, failed or cancelled after it had started). */
export const PhaseRecord = z.strictObject({
  type: z.literal('phase'),
  runId: Name,
  plan: Name,
  phaseId: Name,
  state: z.enum(['succeeded', 'failed', 'cancelled']),
  startedAt: Ts,
  finishedAt: Ts,
});
export type PhaseRecord = z.infer<typeof PhaseRecord>;

/** A downsampled utilisation sample of one node (from its latest heartbeat). */
export const NodeSample = z.strictObject({
  type: z.literal('node'),
  nodeId: Name,
  at: Ts,
  cpuPercent: z.number().min(0).max(100),
  memUsedMb: z.number().nonnegative(),
  memTotalMb: z.number().nonnegative(),
  running: z.number().int().nonnegative(),
});
export type NodeSample = z.infer<typeof NodeSample>;

/** Anything kept in the history stream. */
export const HistoryRecord = z.discriminatedUnion('type', [AttemptRecord, RunRecord, PhaseRecord, NodeSample]);
export type HistoryRecord = z.infer<typeof HistoryRecord>;
/** The record types (also the last token of their subject). */
export type HistoryRecordType = HistoryRecord['type'];

/** Names of the history stream and its subjects for a namespace (see `topology()`). */
export function historyTopology(ns: string): { stream: string; subject(type: HistoryRecordType): string; all: string } {
  const up = ns.toUpperCase().replace(/-/g, '_');
  return { stream: `${up}_HISTORY`, subject: (type) => `${ns}.history.${type}`, all: `${ns}.history.>` };
}

/** Default retention of the history stream (`SHOAL_HISTORY_RETENTION`): 30 days. */
export const DEFAULT_HISTORY_RETENTION_MS = 30 * 86_400_000;

/** Largest history record accepted when reading the stream back. */
const MAX_RECORD_BYTES = 16 * 1024;

/** Decodes one stored history record; undefined when it is not one (never throws). */
export function decodeHistoryRecord(text: string): HistoryRecord | undefined {
  if (text.length > MAX_RECORD_BYTES) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = HistoryRecord.safeParse(json);
  return r.success ? r.data : undefined;
}

const HistoryRecords = z.array(HistoryRecord);

/**
 * Decodes stored history records in bulk: one schema pass over the whole batch (about twice as
 * fast as one per record), and, when any record is not valid, record by record so that only the
 * bad ones are left out. Returns the records and how many were skipped (never throws).
 */
export function decodeHistoryRecords(texts: readonly string[]): { records: HistoryRecord[]; skipped: number } {
  const json: unknown[] = [];
  try {
    for (const t of texts) {
      if (t.length > MAX_RECORD_BYTES) throw new Error('too large');
      json.push(JSON.parse(t));
    }
    const all = HistoryRecords.safeParse(json);
    if (all.success) return { records: all.data, skipped: 0 };
  } catch {
    // fall through: one by one
  }
  const records: HistoryRecord[] = [];
  for (const t of texts) {
    const r = decodeHistoryRecord(t);
    if (r) records.push(r);
  }
  return { records, skipped: texts.length - records.length };
}

const DAYS = /^(\d+)d$/;

/**
 * Parses an analytics window or a retention: `7d`, or anything {@link parseDuration} takes
 * (`12h`, `30m`, `90s`). Undefined when malformed or not positive.
 */
export function parseWindow(value: string): number | undefined {
  const d = DAYS.exec(value.trim());
  if (d) return Number(d[1]) > 0 ? Number(d[1]) * 86_400_000 : undefined;
  return parseDuration(value);
}

/** How a window is written, for error messages. */
export const WINDOW_FORM = 'a positive duration such as 7d, 12h, 30m or 90s';

/** Longest analytics window: ten years. */
const MAX_WINDOW_MS = 3650 * 86_400_000;

/**
 * The window of `GET /analytics?since=`: default 7 days; a malformed one is a ValidationError
 * on the field `since` that says which form is allowed.
 */
export function analyticsWindowMs(since: string | undefined): number {
  const ms = parseWindow(since ?? '7d');
  if (ms === undefined || ms > MAX_WINDOW_MS) throw new ValidationError([{ path: 'since', message: `must be ${WINDOW_FORM} (at most 3650d), got "${String(since).slice(0, 40)}"` }]);
  return ms;
}
