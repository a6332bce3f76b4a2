import { DecodeError, type RunView, type TaskView } from '@shoal/protocol';

/** Tasks per stored page: a change rewrites the page of each changed task, not the whole run. */
export const PAGE_SIZE = 64;

/** At most this many tasks ride in a head's overlay; more, and their pages are written again. */
export const OVERLAY_MAX = 64;

/**
 * A burst (a phase's dispatches, a batch of finishes) may carry up to this many tasks in one
 * head's overlay, once, when that head stays within {@link HEAD_BURST_MAX_BYTES}: it leaves in one
 * write instead of pages first and the head after, and the run's next write writes the pages.
 */
export const OVERLAY_BURST_MAX = 4 * OVERLAY_MAX;

/** The largest head a burst may be written as (a task's output tail alone can be 4 KiB). */
export const HEAD_BURST_MAX_BYTES = 256 * 1024;

/**
 * The head of a stored run, `run.<id>` in the runs bucket: the run without its tasks, the keys of
 * the pages that hold them, in order, and an overlay of the tasks that changed since their page
 * was written. Every write of a run is a compare-and-swap on its head (the fencing point: a head
 * another writer changed is never overwritten): most writes are the head alone (the changed tasks
 * join the overlay); once the overlay would pass {@link OVERLAY_MAX} tasks, the pages of its tasks
 * are written first, each under a key never used before, so a head always names complete pages.
 * One burst past it is written as the head alone ({@link OVERLAY_BURST_MAX}), and its pages with
 * the next write.
 */
export type StoredRunHead = Omit<RunView, 'tasks'> & {
  /** Format version: 2 (version 1, the whole view in one document, is still read). */
  v: 2;
  taskCount: number;
  pages: string[];
  /** Tasks newer than their page, by index in the run: `[index, task]`. */
  overlay: Array<[number, TaskView]>;
};

/** Key prefix of task pages; outside `run.>` so listing runs never lists pages. */
const PAGE_PREFIX = 'page';

/** Key of one written page: unique per writer (`writer`, random per coordinator) and write (`n`). */
export function pageKey(runId: string, index: number, writer: string, n: number): string {
  return `${PAGE_PREFIX}.${runId}.${index}.${writer}-${n}`;
}

/** The run a page key belongs to (the inverse of {@link pageKey}); undefined for a key that is not a page's. */
export function pageRunId(key: string): string | undefined {
  const m = /^page\.(.+)\.\d+\.[^.]+-\d+$/.exec(key);
  return m?.[1];
}

/** A task as stored: without its waiting reason (the task itself when it has none). */
function stored(t: TaskView): TaskView {
  return t.waitingReason === undefined ? t : { ...t, waitingReason: undefined };
}

/** The stored text of one page: a JSON array of its tasks without their waiting reasons. */
export function pageText(tasks: readonly TaskView[]): string {
  return JSON.stringify(tasks.map(stored));
}

/**
 * The stored text of each page of a run's tasks, {@link PAGE_SIZE} tasks a page, without their
 * waiting reasons (recomputed by every placement round and answered from the leader's memory).
 */
export function pageTexts(tasks: readonly TaskView[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tasks.length; i += PAGE_SIZE) out.push(pageText(tasks.slice(i, i + PAGE_SIZE)));
  return out;
}

/**
 * Every field of a task view, and whether it is stored (waiting reasons and live agent states are
 * answered from the leader's memory). Typed as a record of every key: a field added to
 * {@link TaskView} must be added here, or this does not compile; `run-store.spec.ts` then fails
 * until {@link storesAs} compares it.
 */
export const TASK_FIELDS: Readonly<Record<keyof TaskView, boolean>> = {
  id: true,
  phaseId: true,
  team: true,
  role: true,
  state: true,
  attempt: true,
  maxAttempts: true,
  nodeId: true,
  queuedAt: true,
  dispatchedAt: true,
  startedAt: true,
  finishedAt: true,
  exitCode: true,
  outcome: true,
  reason: true,
  waitingReason: false,
  outputTail: true,
  tmux: true,
  nodeLostAt: true,
  lostAttempts: true,
  agent: false,
};

/**
 * True when a task view stores as its earlier shallow copy `was` did: every stored field of
 * {@link TASK_FIELDS} the same value (nested fields such as `tmux` or `lostAttempts` are replaced
 * on change, never edited in place, so they compare by reference; a field absent and a field set
 * to undefined store alike). Every write compares every task of its run, so the fields are named
 * one by one (a loop over the field names was 14% of the coordinator's CPU at 1,000 nodes: keyed
 * reads are slow), the ones that change most first.
 */
export function storesAs(task: TaskView, was: TaskView | undefined): boolean {
  return (
    was !== undefined &&
    task.state === was.state &&
    task.attempt === was.attempt &&
    task.nodeId === was.nodeId &&
    task.dispatchedAt === was.dispatchedAt &&
    task.startedAt === was.startedAt &&
    task.finishedAt === was.finishedAt &&
    task.queuedAt === was.queuedAt &&
    task.outcome === was.outcome &&
    task.exitCode === was.exitCode &&
    task.reason === was.reason &&
    task.outputTail === was.outputTail &&
    task.tmux === was.tmux &&
    task.nodeLostAt === was.nodeLostAt &&
    task.lostAttempts === was.lostAttempts &&
    task.maxAttempts === was.maxAttempts &&
    task.id === was.id &&
    task.phaseId === was.phaseId &&
    task.team === was.team &&
    task.role === was.role
  );
}

/**
 * The stored text of a run's head, naming `pages` (one key per page, in task order) and carrying
 * the tasks at `overlay` (indices into the run's tasks) as they are now.
 */
export function headText(view: RunView, pages: readonly string[], overlay: readonly number[] = []): string {
  const { tasks, ...run } = view;
  const head: StoredRunHead = { ...run, v: 2, taskCount: tasks.length, pages: [...pages], overlay: overlay.map((i) => [i, stored(tasks[i]!)]) };
  return JSON.stringify(head);
}

/** True when a stored run document is a head (format 2) rather than a whole view (format 1). */
export function isHead(doc: unknown): doc is StoredRunHead {
  return typeof doc === 'object' && doc !== null && (doc as { v?: unknown }).v === 2 && Array.isArray((doc as { pages?: unknown }).pages);
}

/**
 * The run view a stored document describes: a whole view (format 1) as it is; a head (format 2)
 * with its pages read through `readPage` (in parallel), its tasks put back in order and its
 * overlay's tasks over them. A page
 * missing, or pages that do not hold the head's task count, is a DecodeError.
 */
export async function assembleRun(doc: unknown, readPage: (key: string) => Promise<string | undefined>): Promise<RunView> {
  if (!isHead(doc)) return doc as RunView;
  const { v: _v, taskCount, pages, overlay = [], ...run } = doc;
  const texts = await Promise.all(pages.map(readPage));
  const tasks: TaskView[] = [];
  texts.forEach((text, i) => {
    if (text === undefined) throw new DecodeError(`run ${run.id}: page ${pages[i]} named by its head is missing`);
    tasks.push(...(JSON.parse(text) as TaskView[]));
  });
  if (tasks.length !== taskCount) throw new DecodeError(`run ${run.id}: its pages hold ${tasks.length} tasks, its head says ${taskCount}`);
  for (const [i, t] of overlay) {
    if (!(i >= 0 && i < tasks.length)) throw new DecodeError(`run ${run.id}: its head's overlay names task ${i} of ${tasks.length}`);
    tasks[i] = t;
  }
  return { ...run, tasks };
}
