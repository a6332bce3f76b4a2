import type { TaskDemand, Waiting } from '../placement/types.js';
import { selectorPairs } from '../placement/labels.js';

/** A demand in the queue, with what the placer precomputes once at enqueue time. */
export interface QueuedTask {
  readonly demand: TaskDemand;
  /** Enqueue order; the last tie-break, so decisions are deterministic. */
  readonly seq: number;
  /** The latest reason this task still waits; replaced (never mutated) when the reason changes. */
  waiting: Waiting;
  readonly requiresPairs: string[];
  readonly avoidPairs: string[];
  readonly preferPairs: string[];
  /** Tasks of one class are interchangeable for feasibility: if one does not fit, none fits. */
  readonly classKey: string;
  removed: boolean;
}

/** The tasks of one run at one base priority, oldest first. */
export interface Lane {
  readonly runId: string;
  readonly priority: number;
  items: QueuedTask[];
  sorted: boolean;
}

const byAge = (a: QueuedTask, b: QueuedTask) => a.demand.enqueuedAt - b.demand.enqueuedAt || a.seq - b.seq;

/**
 * The queue of tasks waiting for a node: one FIFO lane per (run, priority), so the placer can
 * merge lanes by effective priority without sorting the whole queue every round.
 */
export class TaskQueue {
  private readonly byKey = new Map<string, QueuedTask>();
  private readonly laneMap = new Map<string, Lane>();
  private readonly runCounts = new Map<string, number>();
  private readonly classCounts = new Map<string, number>();
  private nextSeq = 0;
  private dirty = false;

  /** Adds a demand; returns false (and changes nothing) when its key is already queued. */
  add(d: TaskDemand, initialReason: string): boolean {
    if (this.byKey.has(d.key)) return false;
    const requiresPairs = selectorPairs(d.requires);
    const avoidPairs = selectorPairs(d.avoid);
    const item: QueuedTask = {
      demand: d,
      seq: this.nextSeq++,
      waiting: { key: d.key, reason: initialReason },
      requiresPairs,
      avoidPairs,
      preferPairs: selectorPairs(d.prefers),
      classKey: `${requiresPairs.join(',')}|${avoidPairs.join(',')}|${d.antiAffinity ?? ''}|${d.preset ?? ''}|${d.cpuPercent}|${d.memoryMb}`,
      removed: false,
    };
    this.byKey.set(d.key, item);
    const laneKey = `${d.runId}\u0000${d.priority}`;
    let lane = this.laneMap.get(laneKey);
    if (!lane) {
      lane = { runId: d.runId, priority: d.priority, items: [], sorted: true };
      this.laneMap.set(laneKey, lane);
    }
    const last = lane.items[lane.items.length - 1];
    if (last && byAge(last, item) > 0) {
      lane.sorted = false;
      this.dirty = true;
    }
    lane.items.push(item);
    this.runCounts.set(d.runId, (this.runCounts.get(d.runId) ?? 0) + 1);
    this.classCounts.set(item.classKey, (this.classCounts.get(item.classKey) ?? 0) + 1);
    return true;
  }

  /** Removes one task; returns whether it was queued. */
  remove(key: string): boolean {
    const item = this.byKey.get(key);
    if (!item) return false;
    item.removed = true;
    this.dirty = true;
    this.byKey.delete(key);
    decrement(this.runCounts, item.demand.runId);
    decrement(this.classCounts, item.classKey);
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

  get(key: string): QueuedTask | undefined {
    return this.byKey.get(key);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The smallest CPU and the smallest memory demand among queued tasks. */
  smallestDemand(): [number, number] {
    let cpu = Infinity;
    let mem = Infinity;
    for (const lane of this.laneMap.values()) {
      for (const item of lane.items) {
        if (item.removed) continue;
        if (item.demand.cpuPercent < cpu) cpu = item.demand.cpuPercent;
        if (item.demand.memoryMb < mem) mem = item.demand.memoryMb;
      }
    }
    return [cpu, mem];
  }

  /** Number of distinct feasibility classes among queued tasks. */
  get classCount(): number {
    return this.classCounts.size;
  }

  /** Drops removed tasks and empty lanes, and restores age order inside lanes. */
  compact(): void {
    if (!this.dirty) return;
    this.dirty = false;
    for (const [k, lane] of this.laneMap) {
      if (lane.items.some((i) => i.removed)) lane.items = lane.items.filter((i) => !i.removed);
      if (lane.items.length === 0) this.laneMap.delete(k);
      else if (!lane.sorted) {
        lane.items.sort(byAge);
        lane.sorted = true;
      }
    }
  }

  /** The non-empty lanes, in a deterministic order (creation order). Call `compact()` first. */
  lanes(): Lane[] {
    return [...this.laneMap.values()];
  }

  /** The waiting reason of every queued task (the objects are immutable snapshots). */
  waiting(): Waiting[] {
    const out: Waiting[] = [];
    for (const lane of this.laneMap.values()) for (const item of lane.items) if (!item.removed) out.push(item.waiting);
    return out;
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
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
