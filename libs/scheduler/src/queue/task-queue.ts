import type { TaskDemand, Waiting } from '../placement/types.js';
import { selectorPairs } from '../placement/labels.js';

/** A demand in the queue, with what the placer precomputes once at enqueue time. */
export interface QueuedTask {
  readonly demand: TaskDemand;
  /** Enqueue order; the last tie-break, so decisions are deterministic. */
  readonly seq: number;
  /** Round in which a reason specific to this task was recorded (-1: none). */
  explicitRound: number;
  explicitReason: string;
  readonly requiresPairs: string[];
  readonly avoidPairs: string[];
  readonly preferPairs: string[];
  /** Tasks of one class are interchangeable for feasibility: if one does not fit, none fits. */
  readonly classId: number;
  removed: boolean;
}

/** The tasks of one run at one base priority, oldest first. */
export interface Lane {
  readonly runId: string;
  readonly priority: number;
  items: QueuedTask[];
  sorted: boolean;
  /** Items of `items` marked removed and not dropped yet (`compact` only filters lanes that have some). */
  removed: number;
}

interface DemandClass {
  id: number;
  count: number;
  cpu: number;
  mem: number;
}

/** Queue order inside a lane: oldest first, then longest expected first, then enqueue order. */
export const byAge = (a: QueuedTask, b: QueuedTask) =>
  a.demand.enqueuedAt - b.demand.enqueuedAt || (b.demand.estimateMs ?? 0) - (a.demand.estimateMs ?? 0) || a.seq - b.seq;

/**
 * The queue of tasks waiting for a node: one FIFO lane per (run, priority), so the placer can
 * merge lanes by effective priority without sorting the whole queue every round.
 */
export class TaskQueue {
  private readonly byKey = new Map<string, QueuedTask>();
  private readonly laneMap = new Map<string, Lane>();
  private readonly runCounts = new Map<string, number>();
  private classes = new Map<string, DemandClass>();
  private classList: DemandClass[] = [];
  private liveClasses = 0;
  private nextSeq = 0;
  private dirty = false;

  /** Adds a demand; returns false (and changes nothing) when its key is already queued. */
  add(d: TaskDemand): boolean {
    if (this.byKey.has(d.key)) return false;
    const requiresPairs = selectorPairs(d.requires);
    const avoidPairs = selectorPairs(d.avoid);
    const cls = this.classOf(`${requiresPairs.join(',')}|${avoidPairs.join(',')}|${d.antiAffinity ?? ''}|${d.preset ?? ''}|${d.cpuPercent}|${d.memoryMb}`, d);
    const item: QueuedTask = {
      demand: d,
      seq: this.nextSeq++,
      explicitRound: -1,
      explicitReason: '',
      requiresPairs,
      avoidPairs,
      preferPairs: selectorPairs(d.prefers),
      classId: cls.id,
      removed: false,
    };
    this.byKey.set(d.key, item);
    const laneKey = `${d.runId}\u0000${d.priority}`;
    let lane = this.laneMap.get(laneKey);
    if (!lane) {
      lane = { runId: d.runId, priority: d.priority, items: [], sorted: true, removed: 0 };
      this.laneMap.set(laneKey, lane);
    }
    const last = lane.items[lane.items.length - 1];
    if (last && byAge(last, item) > 0) {
      lane.sorted = false;
      this.dirty = true;
    }
    lane.items.push(item);
    this.runCounts.set(d.runId, (this.runCounts.get(d.runId) ?? 0) + 1);
    if (cls.count++ === 0) this.liveClasses++;
    return true;
  }

  /** Removes one task; returns whether it was queued. */
  remove(key: string): boolean {
    const item = this.byKey.get(key);
    if (!item) return false;
    item.removed = true;
    this.dirty = true;
    this.byKey.delete(key);
    const runId = item.demand.runId;
    this.laneMap.get(`${runId}\u0000${item.demand.priority}`)!.removed++;
    const left = (this.runCounts.get(runId) ?? 1) - 1;
    if (left > 0) this.runCounts.set(runId, left);
    else this.runCounts.delete(runId);
    if (--this.classList[item.classId]!.count === 0) this.liveClasses--;
    return true;
  }

  /** Removes every task of a run; returns how many. */
  removeRun(runId: string): number {
    let n = 0;
    for (const lane of this.laneMap.values()) {
      if (lane.runId !== runId) continue;
      for (const item of lane.items) if (!item.removed && this.remove(item.demand.key)) n++;
    }
    this.compact();
    return n;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Number of distinct feasibility classes among queued tasks. */
  get classCount(): number {
    return this.liveClasses;
  }

  /** Upper bound (exclusive) of class ids, for arrays indexed by class. */
  get classIdLimit(): number {
    return this.classList.length;
  }

  /** The smallest CPU and the smallest memory demand among queued tasks. */
  smallestDemand(): [number, number] {
    let cpu = Infinity;
    let mem = Infinity;
    for (const c of this.classList) {
      if (c.count === 0) continue;
      if (c.cpu < cpu) cpu = c.cpu;
      if (c.mem < mem) mem = c.mem;
    }
    return [cpu, mem];
  }

  /** Drops removed tasks and empty lanes, and restores age order inside lanes. */
  compact(): void {
    if (!this.dirty) return;
    this.dirty = false;
    for (const [k, lane] of this.laneMap) {
      if (lane.removed > 0) {
        lane.items = lane.items.filter((i) => !i.removed);
        lane.removed = 0;
      }
      if (lane.items.length === 0) this.laneMap.delete(k);
      else if (!lane.sorted) {
        lane.items.sort(byAge);
        lane.sorted = true;
      }
    }
    if (this.byKey.size === 0 && this.classList.length > 0) {
      this.classes = new Map();
      this.classList = [];
    }
  }

  /** The non-empty lanes, in a deterministic order (creation order). Call `compact()` first. */
  lanes(): Lane[] {
    return [...this.laneMap.values()];
  }

  /** The waiting reason of every queued task, resolved by `reasonOf`. */
  waiting(reasonOf: (t: QueuedTask) => string): Waiting[] {
    const out: Waiting[] = [];
    for (const lane of this.laneMap.values()) for (const item of lane.items) if (!item.removed) out.push({ key: item.demand.key, reason: reasonOf(item) });
    return out;
  }

  /** The next sequence number: tasks enqueued from now on have `seq` >= this. */
  get nextSequence(): number {
    return this.nextSeq;
  }

  /** Queued tasks per run. */
  byRun(): Record<string, number> {
    return Object.fromEntries(this.runCounts);
  }

  /** Enqueue time of the oldest queued task, or undefined when empty. */
  oldestEnqueuedAt(): number | undefined {
    let oldest: number | undefined;
    for (const lane of this.laneMap.values()) {
      for (const item of lane.items) {
        if (item.removed) continue;
        if (oldest === undefined || item.demand.enqueuedAt < oldest) oldest = item.demand.enqueuedAt;
        if (lane.sorted) break;
      }
    }
    return oldest;
  }

  private classOf(key: string, d: TaskDemand): DemandClass {
    let c = this.classes.get(key);
    if (!c) {
      c = { id: this.classList.length, count: 0, cpu: d.cpuPercent, mem: d.memoryMb };
      this.classes.set(key, c);
      this.classList.push(c);
    }
    return c;
  }
}
