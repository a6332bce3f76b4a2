import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TaskDispatched } from '@shoal/protocol';

/**
 * What a node-agent keeps on disk about a running attempt so that its next incarnation (after an
 * upgrade, a crash or kill -9) can find the attempt's pane and group again instead of killing them.
 */
export const AttemptRecord = z.strictObject({
  v: z.literal(1),
  task: TaskDispatched,
  session: z.string().min(1).max(256),
  windowId: z.string().regex(/^@\d+$/),
  paneId: z.string().regex(/^%\d+$/),
  pid: z.number().int().min(2),
  /** Governor group key of this run of the agent (a warm slot's key when it came from the warm pool). */
  groupKey: z.string().min(1).max(128),
  logFile: z.string().min(1).max(4096),
  startedAt: z.number().int().nonnegative(),
  /** Started in a window of the warm pool. */
  warm: z.boolean(),
  /** True once task.started was published (a record written before that makes the next incarnation publish it). */
  startedReported: z.boolean(),
});
export type AttemptRecord = z.infer<typeof AttemptRecord>;

/** File name of an attempt's record: `<run>.<task>.<attempt>.json`. Pure. */
export function recordFileName(runId: string, taskId: string, attempt: number): string {
  return `${runId}.${taskId}.${attempt}.json`;
}

/** Encodes a record as file content. Pure. */
export function encodeRecord(r: AttemptRecord): string {
  return `${JSON.stringify(AttemptRecord.parse(r))}\n`;
}

/** Decodes file content; an error names what is wrong (never throws). Pure. */
export function decodeRecord(text: string): { ok: true; value: AttemptRecord } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  const parsed = AttemptRecord.safeParse(raw);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ').slice(0, 500) };
  return { ok: true, value: parsed.data };
}

/**
 * The records in `<dataDir>/attempts/` (directory 0700, files 0600, each written to a temporary
 * file and renamed so a crash never leaves half a record). Synchronous: a few hundred bytes, and
 * the order of writes and removals of one attempt must hold.
 */
export class AttemptRecords {
  private ready = false;

  constructor(readonly dir: string) {}

  /** Writes (or replaces) the record of one attempt. */
  save(r: AttemptRecord): void {
    if (!this.ready) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      this.ready = true;
    }
    const path = join(this.dir, recordFileName(r.task.runId, r.task.taskId, r.task.attempt));
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, encodeRecord(r), { mode: 0o600 });
    renameSync(tmp, path);
  }

  /** Removes an attempt's record (missing is fine). */
  remove(runId: string, taskId: string, attempt: number): void {
    rmSync(join(this.dir, recordFileName(runId, taskId, attempt)), { force: true });
  }

  /** Every readable record, and the files that were not (removed: nothing can be done with them). */
  load(): { records: AttemptRecord[]; broken: { file: string; error: string }[] } {
    const records: AttemptRecord[] = [];
    const broken: { file: string; error: string }[] = [];
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return { records, broken };
    }
    for (const name of names) {
      const path = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        rmSync(path, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const d = decodeRecord(readFileSync(path, 'utf8'));
      if (d.ok) records.push(d.value);
      else {
        broken.push({ file: name, error: d.error });
        rmSync(path, { force: true });
      }
    }
    return { records, broken };
  }
}

/** What {@link recordOf} reads from a running attempt. */
export interface RecordableAttempt {
  task: TaskDispatched;
  session: string;
  windowId?: string;
  paneId?: string;
  pid?: number;
  logFile: string;
  startedAt?: number;
  warm: boolean;
  governed: { taskKey: string };
}

/** The record of a running attempt. Pure. @throws Error when the attempt has no pane yet. */
export function recordOf(a: RecordableAttempt, startedReported: boolean): AttemptRecord {
  if (a.windowId === undefined || a.paneId === undefined || a.pid === undefined || a.startedAt === undefined) throw new Error('the attempt has no pane yet');
  return {
    v: 1,
    task: a.task,
    session: a.session,
    windowId: a.windowId,
    paneId: a.paneId,
    pid: a.pid,
    groupKey: a.governed.taskKey,
    logFile: a.logFile,
    startedAt: a.startedAt,
    warm: a.warm,
    startedReported,
  };
}
