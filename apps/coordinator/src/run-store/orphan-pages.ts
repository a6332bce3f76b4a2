import { isHead, pageRunId } from './run-pages.js';

/**
 * A page no stored head names is deleted only once it is this old (by the bus's clock, against the
 * sweeper's): a younger one may belong to a head still being written. A write is bounded by
 * `stateWriteDeadlineMs` (seconds), so 10 minutes also covers modest clock skew.
 */
export const ORPHAN_PAGE_MIN_AGE_MS = 10 * 60_000;

/** What a sweep reads and deletes in the runs bucket. */
export interface PageSweepStore {
  keys(filter: string): Promise<string[]>;
  /** A document's text and when the bus stored it (ms since the epoch); undefined when absent. Read from the stream's leader: a lagging replica's older head would not name newer pages. */
  read(key: string): Promise<{ text: string; created: number } | undefined>;
  /** Removes a key without leaving a delete marker. */
  purge(key: string): Promise<void>;
}

/** What one sweep saw: page keys listed, pages deleted, and runs whose head could not be read (their pages kept). */
export interface PageSweep {
  pages: number;
  deleted: number;
  unreadableHeads: number;
}

/**
 * Deletes the task pages that no stored run head names and that are older than `minAgeMs`: pages
 * left by a coordinator that stopped between writing a run's pages and its head (a live one
 * deletes those of its own failed writes). A page of a run whose head cannot be parsed is kept.
 */
export async function sweepOrphanPages(store: PageSweepStore, now: number, minAgeMs = ORPHAN_PAGE_MIN_AGE_MS): Promise<PageSweep> {
  const named = new Map<string, ReadonlySet<string> | undefined>();
  const namedBy = async (runId: string): Promise<ReadonlySet<string> | undefined> => {
    if (!named.has(runId)) named.set(runId, await headPages(store, runId));
    return named.get(runId);
  };
  const keys = await store.keys('page.>');
  let deleted = 0;
  for (const key of keys) {
    const runId = pageRunId(key);
    if (runId === undefined) continue;
    const names = await namedBy(runId);
    if (names === undefined || names.has(key)) continue;
    const page = await store.read(key);
    if (!page || now - page.created < minAgeMs) continue;
    await store.purge(key);
    deleted += 1;
  }
  return { pages: keys.length, deleted, unreadableHeads: [...named.values()].filter((s) => s === undefined).length };
}

/** The pages a run's stored head names: none without a head (or for a whole-view document); undefined when the head is not JSON. */
async function headPages(store: PageSweepStore, runId: string): Promise<ReadonlySet<string> | undefined> {
  const head = await store.read(`run.${runId}`);
  if (!head) return new Set();
  let doc: unknown;
  try {
    doc = JSON.parse(head.text);
  } catch {
    return undefined;
  }
  return new Set(isHead(doc) ? doc.pages : []);
}
