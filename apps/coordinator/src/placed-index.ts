import type { TaskView } from '@shoal/protocol';
import type { CompiledPlan, CompiledTask } from '@shoal/scheduler';

/** What the index needs of a run: its live view and its plan. */
export interface IndexedRun {
  view: { id: string; tasks: TaskView[] };
  plan: Pick<CompiledPlan, 'tasks'>;
}

/** An attempt that holds room on a node (dispatched or running when listed; the view is live, check `task.state`). */
export interface PlacedAttempt<R extends IndexedRun = IndexedRun> {
  run: R;
  task: TaskView;
  spec: CompiledTask;
}

/** One run's placed attempts as last listed, by task view, each with the node it was filed under. */
interface RunEntry<R extends IndexedRun> {
  run: R;
  placed: Map<TaskView, Filed<R>>;
}

interface Filed<R extends IndexedRun> {
  nodeId: string;
  attempt: PlacedAttempt<R>;
  /** The listing that last saw it placed on `nodeId`. */
  seen: number;
}

/**
 * The attempts placed on nodes (dispatched or running), by run and by node, kept up to date run by
 * run: a change of one run ({@link touched}) re-lists that run's tasks once, on next use, and
 * files or unfiles only the attempts whose placement changed. A node's list is replaced, never
 * edited, so a list handed out stays as it was while its caller changes runs. A heartbeat that asks
 * for its node's attempts no longer rebuilds the lists of every run after every change (that
 * rebuild was 6% of the coordinator's CPU at 1,000 nodes and 50 runs).
 */
export class PlacedIndex<R extends IndexedRun = IndexedRun> {
  private readonly byRun = new Map<string, RunEntry<R>>();
  private readonly byNode = new Map<string, Array<PlacedAttempt<R>>>();
  private readonly stale = new Set<string>();
  private listing = 0;

  /** @param runs the live runs by id (read on refresh; a run no longer in it is dropped). */
  constructor(private readonly runs: ReadonlyMap<string, R>) {}

  /** A run's view changed, was added or was removed: its entries are re-listed on next use. */
  touched(runId: string): void {
    this.stale.add(runId);
  }

  /** The attempts filed under a node (their views are live: check `task.state` and `task.nodeId`). */
  onNode(nodeId: string): ReadonlyArray<PlacedAttempt<R>> {
    this.refresh();
    return this.byNode.get(nodeId) ?? [];
  }

  /** Every run's placed attempts, run by run. */
  *all(): Generator<PlacedAttempt<R>> {
    this.refresh();
    for (const entry of this.byRun.values()) for (const f of entry.placed.values()) yield f.attempt;
  }

  private refresh(): void {
    if (this.stale.size === 0) return;
    for (const runId of this.stale) this.reindex(runId);
    this.stale.clear();
  }

  private reindex(runId: string): void {
    const run = this.runs.get(runId);
    let entry = this.byRun.get(runId);
    if (entry && entry.run !== run) {
      for (const f of entry.placed.values()) this.unfile(f.nodeId, f.attempt);
      entry = undefined;
    }
    if (!run) {
      this.byRun.delete(runId);
      return;
    }
    if (!entry) this.byRun.set(runId, (entry = { run, placed: new Map() }));
    const seen = ++this.listing;
    for (const task of run.view.tasks) {
      if (!task.nodeId || (task.state !== 'dispatched' && task.state !== 'running')) continue;
      const filed = entry.placed.get(task);
      if (filed?.nodeId === task.nodeId) {
        filed.seen = seen;
        continue;
      }
      if (filed) this.unfile(filed.nodeId, filed.attempt);
      const attempt: PlacedAttempt<R> = { run, task, spec: run.plan.tasks.get(task.id)! };
      entry.placed.set(task, { nodeId: task.nodeId, attempt, seen });
      this.byNode.set(task.nodeId, [...(this.byNode.get(task.nodeId) ?? []), attempt]);
    }
    for (const [task, f] of entry.placed) {
      if (f.seen === seen) continue;
      this.unfile(f.nodeId, f.attempt);
      entry.placed.delete(task);
    }
  }

  private unfile(nodeId: string, attempt: PlacedAttempt<R>): void {
    const list = this.byNode.get(nodeId)?.filter((p) => p !== attempt) ?? [];
    if (list.length) this.byNode.set(nodeId, list);
    else this.byNode.delete(nodeId);
  }
}
