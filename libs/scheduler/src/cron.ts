import { Cron } from 'croner';
import { ValidationError } from '@shoal/protocol';

/** A plan's schedule: a cron expression (5 or 6 fields) and the IANA timezone it is read in. */
export interface Schedule {
  expression: string;
  /** Default `UTC`. */
  timezone?: string;
}

/** Input of {@link decideFire}: the schedule, the last fire time the caller persisted, and now. */
export interface FireCheck {
  schedule: Schedule;
  now: number;
  /** The fire time last persisted (e.g. CAS-written in KV) by whoever fired it; undefined if never. */
  lastFiredAt?: number;
  /** When the schedule was registered: only fire times strictly after it are ever due. */
  since: number;
  /**
   * Missed fires coalesce into one, fired if the latest is at most this late, else skipped.
   * Default 1 h; a small value (e.g. 60 s) means "skip what was missed while down".
   */
  maxLatenessMs?: number;
}

/**
 * The decision: fire (and persist `fireAt` as the new `lastFiredAt`), or wait until `nextAt`
 * (when `skipTo` is set, persist it as `lastFiredAt` so skipped fires are not reconsidered).
 */
export type FireDecision =
  | { due: true; fireAt: number; missed: number; nextAt?: number; reason: string }
  | { due: false; nextAt?: number; skipTo?: number; reason: string };

const MAX_SCAN = 10_000;

function cron(s: Schedule): Cron {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: s.timezone ?? 'UTC' });
    return new Cron(s.expression, { timezone: s.timezone ?? 'UTC', paused: true });
  } catch (e) {
    throw new ValidationError([{ path: 'schedule', message: `invalid cron expression "${s.expression}": ${(e as Error).message}` }], { cause: e });
  }
}

/** Throws a ValidationError naming the problem when the schedule cannot be parsed. */
export function validateSchedule(s: Schedule): void {
  cron(s).stop();
}

/** The first fire time strictly after `after` (ms), or undefined when the schedule never fires again. */
export function nextFire(s: Schedule, after: number): number | undefined {
  const c = cron(s);
  const d = c.nextRun(new Date(after));
  c.stop();
  return d ? d.getTime() : undefined;
}

/** The next `n` fire times strictly after `after`. */
export function nextFires(s: Schedule, after: number, n: number): number[] {
  const c = cron(s);
  const out = c.nextRuns(n, new Date(after)).map((d) => d.getTime());
  c.stop();
  return out;
}

/**
 * Decides whether the schedule is due now. Pure: the caller persists `lastFiredAt` (with a CAS, so
 * two coordinators cannot both fire) before starting the run; after a restart the persisted value
 * makes the same fire time not due again, so a fire never happens twice. Fires missed while down
 * coalesce into one, fired unless older than `maxLatenessMs`.
 */
export function decideFire(f: FireCheck): FireDecision {
  const c = cron(f.schedule);
  try {
    const from = Math.max(f.lastFiredAt ?? -Infinity, f.since);
    const first = c.nextRun(new Date(from));
    if (!first || first.getTime() > f.now) {
      return { due: false, ...(first ? { nextAt: first.getTime() } : {}), reason: first ? 'not due yet' : 'schedule never fires again' };
    }
    let latest = first.getTime();
    let missed = 0;
    for (let i = 0; i < MAX_SCAN; i++) {
      const n = c.nextRun(new Date(latest));
      if (!n || n.getTime() > f.now) break;
      latest = n.getTime();
      missed++;
    }
    const after = c.nextRun(new Date(latest));
    const nextAt = after ? after.getTime() : undefined;
    const late = f.now - latest;
    const tooMany = nextAt !== undefined && nextAt <= f.now;
    if (tooMany || late > (f.maxLatenessMs ?? 3_600_000)) {
      const why = tooMany ? `more than ${MAX_SCAN} missed fires` : `latest is ${Math.round(late / 1000)} s late, over the max lateness`;
      return { due: false, skipTo: latest, ...(nextAt === undefined ? {} : { nextAt }), reason: `skipped ${missed + 1} missed fire(s): ${why}` };
    }
    const note = missed ? `; ${missed} earlier missed fire(s) coalesced` : '';
    return { due: true, fireAt: latest, missed, ...(nextAt === undefined ? {} : { nextAt }), reason: `due at ${new Date(latest).toISOString()}${note}` };
  } finally {
    c.stop();
  }
}
