import { ValidationError, batchKey } from '@shoal/protocol';
import { BinaryHeap } from '../queue/heap.js';
import { TaskQueue, byAge, type Lane, type QueuedTask } from '../queue/task-queue.js';
import { diagnose } from './diagnose.js';
import { selectorPairs } from './labels.js';
import { NodeTable } from './node-table.js';
import { fleetReason } from './fleet-reason.js';
import type { NodeView, Placement, PlacementRound, PlacementStrategy, PlacerOptions, TaskDemand, Waiting } from './types.js';

const NOT_CONSIDERED = 'queued: not yet considered by a placement round';
const BATCH_PIN_TTL_MS = 10 * 60_000;

/** A lane's position in one round's merge. */
interface Cursor {
  lane: Lane;
  pos: number;
  level: number;
  runPlaced: number;
}

/**
 * Places queued tasks on nodes, one round at a time. Highest effective priority first
 * (priority plus aging), fair between runs at equal effective priority, never over a node's
 * CPU, memory or task capacity. Pure: no I/O, the clock is injected.
 */
export class Placer {
  private readonly queue = new TaskQueue();
  private readonly strategy: PlacementStrategy;
  private readonly hostCpuHigh: number;
  private readonly aging: number;
  private readonly rolePrefers = new Map<string, string[]>();
  private readonly unionCache = new Map<string, string[]>();
  private roundNo = 0;
  /** What the last round learned, to explain waiting tasks on demand. */
  private last?: { round: number; startSeq: number; classReasons: (string | undefined)[]; table: NodeTable; labelMissing: Map<string, boolean>; fleet?: string };
  /** `<runId>/<batch>` -> node id and when it was last used. */
  private readonly batchPins = new Map<string, { nodeId: string; at: number }>();
  /** `<node>\u0000<run>/<batch>` placed this round: the batch's budget is committed there. */
  private readonly heldInRound = new Set<string>();
  /** Queued batch members: queue key -> run and `<run>/<batch>` (to find those a full fleet still takes). */
  private readonly queuedBatch = new Map<string, { runId: string; pinKey: string }>();

  constructor(private readonly opts: PlacerOptions) {
    this.strategy = opts.strategy ?? 'spread';
    this.hostCpuHigh = opts.hostCpuHighPercent ?? 60;
    this.aging = opts.agingPerSecond ?? 0.1;
    for (const [role, sel] of Object.entries(opts.roleAffinity ?? {})) this.rolePrefers.set(role, selectorPairs(sel));
  }

  /** Queues a demand; a second enqueue of a queued key is ignored. */
  enqueue(d: TaskDemand): void {
    if (!(d.cpuPercent > 0) || !(d.memoryMb > 0) || !Number.isFinite(d.cpuPercent + d.memoryMb + d.priority + d.enqueuedAt)) {
      throw new ValidationError([{ path: d.key, message: 'cpuPercent and memoryMb must be positive, priority and enqueuedAt finite' }]);
    }
    this.queue.add(d);
    if (d.batch !== undefined) this.queuedBatch.set(d.key, { runId: d.runId, pinKey: batchKey(d.runId, d.batch) });
  }

  /** Removes a queued task; false when it was not queued. */
  cancel(key: string): boolean {
    this.queuedBatch.delete(key);
    return this.queue.remove(key);
  }

  /** Removes every queued task of a run and forgets its batch pins; returns how many tasks. */
  cancelRun(runId: string): number {
    for (const k of [...this.batchPins.keys()]) if (k.startsWith(`${runId}/`)) this.batchPins.delete(k);
    for (const [k, b] of this.queuedBatch) if (b.runId === runId) this.queuedBatch.delete(k);
    return this.queue.removeRun(runId);
  }

  /**
   * Places as many queued tasks as fit on these nodes; placed tasks leave the queue.
   * With `{ waiting: false }` the (O(queue)) list of waiting reasons is not built; read it with
   * `waitingReasons()` when needed.
   */
  round(nodes: NodeView[], opts: { waiting?: boolean } = {}): PlacementRound {
    const now = this.opts.now();
    this.queue.compact();
    const startSeq = this.queue.nextSequence;
    this.roundNo++;
    this.heldInRound.clear();
    const table = new NodeTable(nodes, this.hostCpuHigh, this.opts.nodeBreakers);
    [table.floorCpu, table.floorMem] = this.queue.smallestDemand();
    const placed: Placement[] = [];
    const failed = new ClassFailures(this.queue.classIdLimit);
    const presetLeft = new Map<string, number>();
    const runPlaced = new Map<string, number>();
    const heap = new BinaryHeap<Cursor>(
      (a, b) =>
        a.level > b.level ||
        (a.level === b.level &&
          (a.runPlaced < b.runPlaced ||
            (a.runPlaced === b.runPlaced && itemBefore(a.lane.items[a.pos]!, b.lane.items[b.pos]!)))),
    );
    for (const lane of this.queue.lanes()) heap.push({ lane, pos: 0, level: this.level(lane.items[0]!, now), runPlaced: 0 });

    // a full fleet still takes batch members joining a session whose budget is held (no room needed)
    let heldLeft: boolean | undefined;
    const open = () => table.openNodes > 0 || (heldLeft ??= this.anyHeldQueued(table));
    // a batch member is tried though its class failed: it may join a budget its batch holds (tryPlace)
    const skipped = (t: QueuedTask) => failed.reasons[t.classId] !== undefined && !this.queuedBatch.has(t.demand.key);
    while (heap.size > 0 && open() && (failed.count < this.queue.classCount || this.queuedBatch.size > 0)) {
      const cur = heap.pop()!;
      const rp = runPlaced.get(cur.lane.runId) ?? 0;
      if (cur.runPlaced !== rp) {
        cur.runPlaced = rp;
        heap.push(cur);
        continue;
      }
      const items = cur.lane.items;
      const task = items[cur.pos]!;
      if (skipped(task)) {
        // skip the tasks whose class already failed this round without touching the heap
        let i = cur.pos + 1;
        while (i < items.length && skipped(items[i]!)) i++;
        cur.pos = i;
      } else if (table.openNodes === 0 && !this.heldFor(task.demand.key, table)) {
        cur.pos++; // the fleet is full: only members joining a budget their batch holds are placed
      } else {
        const p = this.tryPlace(task, table, failed, presetLeft, now);
        if (p) {
          placed.push(p);
          this.queue.remove(task.demand.key);
          this.queuedBatch.delete(task.demand.key);
          runPlaced.set(cur.lane.runId, rp + 1);
          heldLeft = undefined;
        }
        cur.pos++;
      }
      if (cur.pos < items.length) {
        cur.level = this.level(items[cur.pos]!, now);
        heap.push(cur);
      }
    }
    this.last = { round: this.roundNo, startSeq, classReasons: failed.reasons, table, labelMissing: new Map() };
    for (const p of placed) this.opts.nodeBreakers?.notePlaced(p.nodeId);
    this.queue.compact();
    for (const [k, pin] of this.batchPins) if (now - pin.at > BATCH_PIN_TTL_MS) this.batchPins.delete(k);
    return { placed, waiting: opts.waiting === false ? [] : this.waitingReasons() };
  }

  /** Number of queued tasks. */
  depth(): number {
    return this.queue.size;
  }

  /** The last known reason for every queued task. */
  waitingReasons(): Waiting[] {
    return this.queue.waiting((t) => this.reasonOf(t));
  }

  /** Queue depth, age of the oldest queued task, and depth per run (for metrics). */
  stats(): { depth: number; oldestWaitMs: number; byRun: Record<string, number> } {
    const oldest = this.queue.oldestEnqueuedAt();
    return {
      depth: this.queue.size,
      oldestWaitMs: oldest === undefined ? 0 : Math.max(0, this.opts.now() - oldest),
      byRun: this.queue.byRun(),
    };
  }

  private level(t: QueuedTask, now: number): number {
    const waited = Math.max(0, now - t.demand.enqueuedAt) / 1000;
    return t.demand.priority + Math.floor(waited * this.aging);
  }

  private tryPlace(task: QueuedTask, table: NodeTable, failed: ClassFailures, presetLeft: Map<string, number>, now: number): Placement | undefined {
    const d = task.demand;
    const gate = this.opts.presetBreakers;
    if (d.preset !== undefined && gate) {
      const left = presetLeft.get(d.preset) ?? gate.allowance(d.preset);
      presetLeft.set(d.preset, left);
      if (left < 1) {
        failed.add(task.classId, gate.describe(d.preset)); // the preset is part of the class
        return undefined;
      }
    }
    const pinKey = d.batch === undefined ? undefined : batchKey(d.runId, d.batch);
    const pin = pinKey === undefined ? undefined : this.batchPins.get(pinKey);
    let node = -1;
    let note = '';
    let held = false;
    if (pin) {
      const i = table.indexOf(pin.nodeId);
      const usable = i >= 0 && table.block[i] !== 'dead' && table.block[i] !== 'breaker';
      if (usable) {
        held = this.holds(table, i, pinKey!);
        // a member joining its batch's session takes no room: its node need only still carry its labels
        const eligible = held ? table.matching(task.requiresPairs, task.avoidPairs).includes(i) : table.candidates(task.requiresPairs, task.avoidPairs).has(i) && table.fits(i, d.cpuPercent, d.memoryMb, d.antiAffinity);
        if (table.block[i] !== undefined || !eligible) {
          return this.wait(task, `batch ${d.batch} waits for room on its node ${pin.nodeId}`);
        }
        node = i;
        note = held ? `, batch ${d.batch} (its budget is held there)` : `, batch ${d.batch}`;
      } else this.batchPins.delete(pinKey!);
    }
    if (node < 0) {
      if (failed.reasons[task.classId] !== undefined) return undefined;
      const preferPairs = task.preferPairs.length ? task.preferPairs : (this.rolePrefers.get(d.role) ?? []);
      if (preferPairs.length) {
        const both = this.withPreferred(task.requiresPairs, preferPairs);
        node = table.pick(table.candidates(both, task.avoidPairs), d.cpuPercent, d.memoryMb, d.antiAffinity, this.strategy);
        if (node >= 0) note = `, preferred (${preferPairs.join(',')})`;
      }
      if (node < 0) node = table.pick(table.candidates(task.requiresPairs, task.avoidPairs), d.cpuPercent, d.memoryMb, d.antiAffinity, this.strategy);
      if (node < 0) {
        const reason = diagnose(table, task, this.hostCpuHigh, this.opts.nodeBreakers);
        failed.add(task.classId, reason);
        return undefined;
      }
      if (pinKey !== undefined) note += `, batch ${d.batch} pinned here`;
    }
    if (!held) table.commit(node, d.cpuPercent, d.memoryMb, d.antiAffinity);
    if (pinKey !== undefined) {
      this.batchPins.set(pinKey, { nodeId: table.views[node]!.id, at: now });
      this.heldInRound.add(`${table.views[node]!.id}\u0000${pinKey}`);
    }
    if (d.preset !== undefined && gate) {
      presetLeft.set(d.preset, presetLeft.get(d.preset)! - 1);
      gate.notePlaced(d.preset);
    }
    const id = table.views[node]!.id;
    const reason =
      `${this.strategy}: ${id} now ${Math.round(table.capCpu[node]! - table.freeCpu[node]!)}/${Math.round(table.capCpu[node]!)}% CPU, ` +
      `${Math.round(table.capMem[node]! - table.freeMem[node]!)}/${Math.round(table.capMem[node]!)} MB, ` +
      `${table.maxTasks[node]! - table.freeTasks[node]!}/${table.maxTasks[node]!} tasks${note}`;
    return { key: d.key, nodeId: id, reason };
  }

  /** True when the queued demand `key` is a member of a batch whose pinned node holds the batch's budget. */
  private heldFor(key: string, table: NodeTable): boolean {
    const b = this.queuedBatch.get(key);
    const pin = b && this.batchPins.get(b.pinKey);
    if (!pin) return false;
    const i = table.indexOf(pin.nodeId);
    return i >= 0 && this.holds(table, i, b.pinKey);
  }

  /** True when some queued batch member could join a held budget (a full fleet still places those). */
  private anyHeldQueued(table: NodeTable): boolean {
    for (const key of this.queuedBatch.keys()) if (this.heldFor(key, table)) return true;
    return false;
  }

  /** True when batch `key` already holds its one budget on node `i` (in flight there, or placed there this round). */
  private holds(table: NodeTable, i: number, key: string): boolean {
    const v = table.views[i]!;
    return this.heldInRound.has(`${v.id}\u0000${key}`) || (v.committed.batches?.includes(key) ?? false);
  }

  private withPreferred(requires: string[], prefers: string[]): string[] {
    const k = `${requires.join(',')}|${prefers.join(',')}`;
    let both = this.unionCache.get(k);
    if (!both) {
      if (this.unionCache.size > 10_000) this.unionCache.clear();
      both = [...new Set([...requires, ...prefers])].sort();
      this.unionCache.set(k, both);
    }
    return both;
  }

  private wait(task: QueuedTask, reason: string): undefined {
    task.explicitRound = this.roundNo;
    task.explicitReason = reason;
    return undefined;
  }

  /** Why a queued task still waits, as of the last round. */
  private reasonOf(t: QueuedTask): string {
    const last = this.last;
    if (!last || t.seq >= last.startSeq) return NOT_CONSIDERED;
    if (t.explicitRound === last.round) return t.explicitReason;
    const known = last.classReasons[t.classId];
    if (known !== undefined) return known;
    for (const p of t.requiresPairs) {
      let missing = last.labelMissing.get(p);
      if (missing === undefined) last.labelMissing.set(p, (missing = last.table.withLabel(p).length === 0));
      if (missing) return `no node with label ${p}`;
    }
    last.fleet ??= fleetReason(last.table, this.hostCpuHigh, this.opts.nodeBreakers);
    return last.fleet;
  }
}

function itemBefore(a: QueuedTask, b: QueuedTask): boolean {
  return byAge(a, b) < 0;
}

/** Why each feasibility class failed this round (capacity only shrinks within a round). */
class ClassFailures {
  readonly reasons: (string | undefined)[];
  count = 0;

  constructor(classes: number) {
    this.reasons = new Array<string | undefined>(classes).fill(undefined);
  }

  /** Records why a class failed; a class keeps the reason of its first failure this round. */
  add(classId: number, reason: string): void {
    if (this.reasons[classId] !== undefined) return;
    this.count++;
    this.reasons[classId] = reason;
  }
}
