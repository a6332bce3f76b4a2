import { randomBytes } from 'node:crypto';
import type { RunView, TaskView } from '@shoal/protocol';
import type { NatsGateway } from '../nats.gateway.js';
import { casWrite } from '../state-write.js';
import { HEAD_BURST_MAX_BYTES, OVERLAY_BURST_MAX, OVERLAY_MAX, PAGE_SIZE, assembleRun, headText, isHead, pageKey, pageText, storesAs } from './run-pages.js';

/** Per-try timeout of one KV write (the whole write is bounded by `stateWriteDeadlineMs`). */
const TRY_TIMEOUT_MS = 2000;
/** Heads of failed writes kept per run: any one of them may still be stored by the bus. */
const UNSURE_KEPT = 4;

/** What the store knows of one run's stored documents. */
export interface StoreSlot {
  /** KV revision of the head `run.<id>` as last written or read; undefined until it exists. */
  revision?: number;
  /** The pages the stored head names, and shallow copies of the tasks as they were stored (by index). */
  pages?: StoredPages;
  /** Heads of the latest writes that failed in transport: one may have been stored all the same, even later. */
  unsure?: string[];
  /** Pages written for heads that were never confirmed: deleted once a later head is stored. */
  unconfirmed?: string[];
}

/** The pages a stored head names, its overlay, and what the tasks were when stored. */
export interface StoredPages {
  keys: string[];
  /** Shallow copies of the tasks as stored (pages and overlay), by index: a task that still {@link storesAs} its copy needs no write. */
  tasks: TaskView[];
  /** Indices of the tasks the stored head's overlay carries (newer than their page). */
  overlay: number[];
}

/** A stored run with the revision of its head and the pages it names. */
export interface StoredRun {
  view: RunView;
  revision: number;
  pages: StoredPages;
}

/**
 * Reads and writes runs in the runs bucket as a head (`run.<id>`, compare-and-swap, the fencing
 * point) and pages of tasks (`page.<id>.<n>.<writer>-<k>`, each key written once), see
 * {@link StoredRunHead}. Most writes are one small head: the changed tasks ride in its overlay;
 * every {@link OVERLAY_MAX} or so changed tasks, their pages are written first (after one head-only
 * burst, so a phase's dispatches leave after one round trip). The cost of a write follows the
 * change, not the run's size.
 */
export class RunStore {
  /** Random per coordinator: two writers never write the same page key. */
  private readonly writer = randomBytes(4).toString('hex');
  private written = 0;

  constructor(
    private readonly nats: NatsGateway,
    private readonly deadlineMs: number,
  ) {}

  /**
   * Stores the run's view: its changed pages, then its head (a compare-and-swap at
   * `slot.revision`, or create-if-absent). On success `slot` names what is stored and the pages
   * no longer named are deleted; rejects like {@link casWrite} (TransportError, ConflictError).
   */
  async write(view: RunView, slot: StoreSlot): Promise<void> {
    const runId = view.id;
    const { keys, fresh, overlay, copies, head } = this.plan(view, slot.pages);
    const tasks = slot.pages && copies.size < view.tasks.length ? slot.pages.tasks : new Array<TaskView>(view.tasks.length);
    try {
      await Promise.all(fresh.map((p) => this.put(p.key, p.text, `a page of run ${runId}`)));
      slot.revision = await this.writeHead(runId, head, slot);
    } catch (e) {
      if ((e as { code?: string }).code !== 'E_CONFLICT') slot.unsure = [...(slot.unsure ?? []).filter((h) => h !== head), head].slice(-UNSURE_KEPT);
      slot.unconfirmed = [...(slot.unconfirmed ?? []), ...fresh.map((p) => p.key)];
      throw e;
    }
    const named = new Set(keys);
    const gone = [...(slot.unconfirmed ?? []), ...(slot.pages?.keys ?? [])].filter((k) => !named.has(k));
    for (const [i, copy] of copies) tasks[i] = copy;
    slot.pages = { keys, tasks, overlay };
    slot.unsure = slot.unconfirmed = undefined;
    this.deletePages(gone);
  }

  /**
   * What a write of `view` stores, given what is stored (`was`): the tasks that changed since
   * (compared with their stored copies) join the head's overlay; once it would pass
   * {@link OVERLAY_MAX}, the pages of its tasks are written again (`fresh`) and it empties, unless
   * the stored overlay is within that bound and this one is a burst ({@link OVERLAY_BURST_MAX},
   * {@link HEAD_BURST_MAX_BYTES}): then the head alone is written and the next write writes pages.
   * A run stored without pages (its first write, or format 1) gets all its pages. `copies` (of the
   * changed tasks, by index) are taken now: a change made while the write is in flight is seen by
   * the next one.
   */
  private plan(view: RunView, was: StoredPages | undefined): { keys: string[]; fresh: Array<{ key: string; text: string }>; overlay: number[]; copies: Map<number, TaskView>; head: string } {
    const { tasks } = view;
    const pageCount = Math.ceil(tasks.length / PAGE_SIZE);
    const paged = was !== undefined && was.tasks.length === tasks.length && was.keys.length === pageCount;
    const copies = new Map<number, TaskView>();
    const changed = new Set(paged ? was.overlay : []);
    for (let i = 0; i < tasks.length; i++) {
      if (paged && storesAs(tasks[i]!, was.tasks[i])) continue;
      changed.add(i);
      copies.set(i, { ...tasks[i]! });
    }
    const overlay = [...changed].sort((x, y) => x - y);
    if (paged && overlay.length <= OVERLAY_MAX) return { keys: was.keys, fresh: [], overlay, copies, head: headText(view, was.keys, overlay) };
    if (paged && was.overlay.length <= OVERLAY_MAX && overlay.length <= OVERLAY_BURST_MAX) {
      const head = headText(view, was.keys, overlay);
      if (Buffer.byteLength(head) <= HEAD_BURST_MAX_BYTES) return { keys: was.keys, fresh: [], overlay, copies, head };
    }
    const stale = new Set(overlay.map((i) => Math.floor(i / PAGE_SIZE)));
    const keys: string[] = [];
    const fresh: Array<{ key: string; text: string }> = [];
    for (let page = 0; page < pageCount; page++) {
      if (paged && !stale.has(page)) {
        keys.push(was.keys[page]!);
        continue;
      }
      const key = pageKey(view.id, page, this.writer, ++this.written);
      keys.push(key);
      fresh.push({ key, text: pageText(tasks.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)) });
    }
    return { keys, fresh, overlay: [], copies, head: headText(view, keys, []) };
  }

  /** A run as stored (either format), with its head's revision; undefined when there is none. */
  async read(runId: string): Promise<StoredRun | undefined> {
    const head = await this.nats.getRunText(`run.${runId}`);
    if (!head) return undefined;
    const doc = JSON.parse(head.text) as unknown;
    const view = await assembleRun(doc, async (k) => (await this.nats.getRunText(k))?.text);
    const keys = isHead(doc) ? doc.pages : [];
    const overlay = isHead(doc) ? (doc.overlay ?? []).map(([i]) => i) : [];
    return { view, revision: head.revision, pages: { keys, tasks: keys.length ? view.tasks.map((t) => ({ ...t })) : [], overlay } };
  }

  /**
   * One write of the head at the slot's revision. On a conflict the stored head is read back:
   * exactly this head is a try that landed; one of the slot's unsure heads is an earlier write of
   * ours that the store committed late (a leader that regained its quorum), so the write goes on
   * from its revision; a revision not past ours is a read that lags (a replica behind), so it is
   * read again. Only a newer head that is not ours fences the run.
   */
  private writeHead(runId: string, payload: string, slot: StoreSlot): Promise<number> {
    const key = `run.${runId}`;
    let revision = slot.revision;
    return casWrite(
      {
        what: `run ${runId}`,
        attempt: () => this.nats.casRun(key, payload, revision, TRY_TIMEOUT_MS),
        onConflict: async () => {
          const stored = await this.nats.getRunText(key);
          if (!stored) return { kind: 'theirs' };
          if (stored.text === payload) return { kind: 'landed', revision: stored.revision };
          if (revision !== undefined && stored.revision <= revision) return { kind: 'rebase', revision };
          if (!slot.unsure?.includes(stored.text)) return { kind: 'theirs' };
          revision = stored.revision;
          return { kind: 'rebase', revision };
        },
      },
      { deadlineMs: this.deadlineMs },
    );
  }

  private put(key: string, text: string, what: string): Promise<number> {
    return casWrite({ what, attempt: () => this.nats.putRunText(key, text, TRY_TIMEOUT_MS) }, { deadlineMs: this.deadlineMs });
  }

  /** Best effort: a page left behind is garbage no head names, never a wrong state. */
  private deletePages(keys: string[]): void {
    for (const k of keys) this.nats.purgeRun(k).catch(() => undefined);
  }
}
