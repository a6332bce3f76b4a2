import { randomBytes } from 'node:crypto';
import type { RunView, TaskView } from '@shoal/protocol';
import type { NatsGateway } from '../nats.gateway.js';
import { casWrite } from '../state-write.js';
import { PAGE_SIZE, assembleRun, headText, isHead, pageKey, pageText, storesAs } from './run-pages.js';

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

/** The pages a stored head names, and what their tasks were when stored. */
export interface StoredPages {
  keys: string[];
  /** Shallow copies of the tasks as stored, by index: a task that still {@link storesAs} its copy needs no write. */
  tasks: TaskView[];
}

/** A stored run with the revision of its head and the pages it names. */
export interface StoredRun {
  view: RunView;
  revision: number;
  pages: StoredPages;
}

/**
 * Reads and writes runs in the runs bucket as a head (`run.<id>`, compare-and-swap, the fencing
 * point) and pages of tasks (`page.<id>.<n>.<writer>-<k>`, each key written once). A write stores
 * only the pages whose text changed, then the head that names them; a change of one task writes
 * one page of {@link PAGE_SIZE} tasks and a head of a few hundred bytes, whatever the run's size.
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
    const { tasks } = view;
    const was = slot.pages;
    const keys: string[] = [];
    const fresh: Array<{ key: string; text: string }> = [];
    const copies: TaskView[] = new Array<TaskView>(tasks.length);
    for (let start = 0, page = 0; start < tasks.length; start += PAGE_SIZE, page++) {
      const end = Math.min(start + PAGE_SIZE, tasks.length);
      let same = was !== undefined && page < was.keys.length;
      for (let i = start; same && i < end; i++) same = storesAs(tasks[i]!, was!.tasks[i]);
      if (same && Math.min(start + PAGE_SIZE, was!.tasks.length) === end) {
        keys.push(was!.keys[page]!);
        for (let i = start; i < end; i++) copies[i] = was!.tasks[i]!;
        continue;
      }
      const key = pageKey(runId, page, this.writer, ++this.written);
      keys.push(key);
      fresh.push({ key, text: pageText(tasks.slice(start, end)) });
      for (let i = start; i < end; i++) copies[i] = { ...tasks[i]! };
    }
    const head = headText(view, keys);
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
    slot.pages = { keys, tasks: copies };
    slot.unsure = slot.unconfirmed = undefined;
    this.deletePages(gone);
  }

  /** A run as stored (either format), with its head's revision; undefined when there is none. */
  async read(runId: string): Promise<StoredRun | undefined> {
    const head = await this.nats.getRunText(`run.${runId}`);
    if (!head) return undefined;
    const doc = JSON.parse(head.text) as unknown;
    const view = await assembleRun(doc, async (k) => (await this.nats.getRunText(k))?.text);
    const keys = isHead(doc) ? doc.pages : [];
    return { view, revision: head.revision, pages: { keys, tasks: keys.length ? view.tasks.map((t) => ({ ...t })) : [] } };
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

/** A run as stored in the runs bucket (either format), read whole; undefined when there is none. */
export async function readStoredRun(nats: NatsGateway, runId: string): Promise<RunView | undefined> {
  return (await new RunStore(nats, 0).read(runId))?.view;
}
