import { z } from 'zod';
import { TaskStatus } from '@shoal/protocol';

/**
 * One status report kept on disk until JetStream acknowledged it: the report itself and its place
 * in the order reports are delivered in (`seq`, increasing across node-agent restarts).
 */
export const OutboxEntry = z.strictObject({
  v: z.literal(1),
  seq: z.number().int().nonnegative(),
  writtenAt: z.number().int().nonnegative(),
  status: TaskStatus,
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

/** What names a report: its attempt and its kind. */
export type ReportRef = Pick<TaskStatus, 'runId' | 'taskId' | 'attempt' | 'kind'>;

/**
 * The JetStream message id of a report, `<run>.<task>.<attempt>.<kind>`: the same report published
 * twice within the stream's dedupe window is stored once. Pure.
 */
export function reportMsgId(s: ReportRef): string {
  return `${s.runId}.${s.taskId}.${s.attempt}.${s.kind}`;
}

/**
 * File name of a report in the outbox, `<msg id>.json`: writing the same report twice names the
 * same file, so a duplicate write is recognised, never queued twice. Ids cannot hold `/` or `..`
 * (protocol ids are `[a-z0-9-]`). Pure.
 */
export function outboxFileName(s: ReportRef): string {
  return `${reportMsgId(s)}.json`;
}

/** Encodes an entry as file content (validated: an invalid report is never written). Pure. */
export function encodeEntry(e: OutboxEntry): string {
  return `${JSON.stringify(OutboxEntry.parse(e))}\n`;
}

/** Decodes file content; an error names what is wrong (never throws). Pure. */
export function decodeEntry(text: string): { ok: true; value: OutboxEntry } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  const parsed = OutboxEntry.safeParse(raw);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ').slice(0, 500) };
  return { ok: true, value: parsed.data };
}
