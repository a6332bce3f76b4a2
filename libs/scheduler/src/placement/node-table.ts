import { LoadIndex } from './load-index.js';
import type { NodeView, PlacementGate, PlacementStrategy } from './types.js';

/** Why a node takes no new task this round, or undefined when it may. */
export type NodeBlock = 'dead' | 'cpu-band' | 'breaker' | undefined;

/**
 * The nodes of one placement round in flat typed arrays (sorted by id, so decisions do not depend
 * on the caller's order), with a label index and per-selector candidate sets bucketed by load.
 */
export class NodeTable {
  readonly views: NodeView[];
  readonly n: number;
  readonly capCpu: Float64Array;
  readonly capMem: Float64Array;
  readonly maxTasks: Float64Array;
  readonly freeCpu: Float64Array;
  readonly freeMem: Float64Array;
  readonly freeTasks: Float64Array;
  private readonly invCpu: Float64Array;
  private readonly invMem: Float64Array;
  private readonly invTasks: Float64Array;
  /** Placements a half-open breaker still admits this round (Infinity when closed). */
  readonly trials: Float64Array;
  readonly block: NodeBlock[];
  /** `k=v` -> indices of every node carrying it (eligible or not). */
  private readonly labelIndex = new Map<string, number[]>();
  private readonly candidateCache = new Map<string, LoadIndex>();
  private readonly indexes: LoadIndex[] = [];
  private readonly groups = new Set<string>();
  private readonly byId = new Map<string, number>();
  /** Number of eligible nodes with at least one free task slot. */
  openNodes = 0;
  /** Smallest CPU and memory demand in the queue: a node below either is dropped from candidate lists. */
  floorCpu = 0;
  floorMem = 0;

  constructor(nodes: NodeView[], hostCpuHighPercent: number, breakers?: PlacementGate) {
    this.views = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const n = (this.n = this.views.length);
    this.capCpu = new Float64Array(n);
    this.capMem = new Float64Array(n);
    this.maxTasks = new Float64Array(n);
    this.freeCpu = new Float64Array(n);
    this.freeMem = new Float64Array(n);
    this.freeTasks = new Float64Array(n);
    this.trials = new Float64Array(n);
    this.invCpu = new Float64Array(n);
    this.invMem = new Float64Array(n);
    this.invTasks = new Float64Array(n);
    this.block = new Array<NodeBlock>(n);
    for (let i = 0; i < n; i++) {
      const v = this.views[i]!;
      this.byId.set(v.id, i);
      this.capCpu[i] = v.capacity.cpuPercent;
      this.capMem[i] = v.capacity.memoryMb;
      this.maxTasks[i] = v.capacity.maxTasks;
      this.invCpu[i] = 1 / v.capacity.cpuPercent;
      this.invMem[i] = 1 / v.capacity.memoryMb;
      this.invTasks[i] = 1 / v.capacity.maxTasks;
      this.freeCpu[i] = v.capacity.cpuPercent - v.committed.cpuPercent;
      this.freeMem[i] = v.capacity.memoryMb - v.committed.memoryMb;
      this.freeTasks[i] = v.capacity.maxTasks - v.committed.tasks;
      this.trials[i] = breakers ? breakers.allowance(v.id) : Infinity;
      this.block[i] = !v.alive
        ? 'dead'
        : (v.hostCpuPercent ?? 0) > hostCpuHighPercent
          ? 'cpu-band'
          : this.trials[i]! <= 0
            ? 'breaker'
            : undefined;
      if (this.block[i] === undefined && this.freeTasks[i]! >= 1) this.openNodes++;
      for (const k in v.labels) {
        const pair = `${k}=${v.labels[k]}`;
        const list = this.labelIndex.get(pair);
        if (list) list.push(i);
        else this.labelIndex.set(pair, [i]);
      }
      for (const g of v.antiAffinityGroups ?? []) this.groups.add(`${g}\u0000${i}`);
    }
  }

  /** Indices of every node carrying all `requires` pairs and none of the `avoid` pairs (any state). */
  matching(requires: string[], avoid: string[]): number[] {
    let base: number[] | undefined;
    for (const p of requires) {
      const list = this.labelIndex.get(p) ?? [];
      if (!base || list.length < base.length) base = list;
    }
    const all = base ?? Array.from({ length: this.n }, (_, i) => i);
    const req = requires.map(splitPair);
    const avo = avoid.map(splitPair);
    return all.filter((i) => {
      const labels = this.views[i]!.labels;
      return req.every(([k, v]) => labels[k] === v) && !avo.some(([k, v]) => labels[k] === v);
    });
  }

  /** Nodes carrying this label pair. */
  withLabel(pair: string): number[] {
    return this.labelIndex.get(pair) ?? [];
  }

  /** Eligible nodes for a selector, by load, cached for the round; nodes that fill up drop out. */
  candidates(requires: string[], avoid: string[]): LoadIndex {
    const sig = `${requires.join(',')}|${avoid.join(',')}`;
    let c = this.candidateCache.get(sig);
    if (!c) {
      c = new LoadIndex(this.n);
      for (const i of this.matching(requires, avoid)) if (this.block[i] === undefined && this.usable(i)) c.put(i, this.load(i));
      this.candidateCache.set(sig, c);
      this.indexes.push(c);
    }
    return c;
  }

  /** Current load of node `i`: the fullest of its CPU, memory and task dimensions, 0..1. */
  load(i: number): number {
    let used = (this.capCpu[i]! - this.freeCpu[i]!) * this.invCpu[i]!;
    const um = (this.capMem[i]! - this.freeMem[i]!) * this.invMem[i]!;
    if (um > used) used = um;
    const ut = (this.maxTasks[i]! - this.freeTasks[i]!) * this.invTasks[i]!;
    if (ut > used) used = ut;
    return Number.isNaN(used) ? 1 : used;
  }

  /** Index of a node id, or -1. */
  indexOf(id: string): number {
    return this.byId.get(id) ?? -1;
  }

  hasGroup(group: string, i: number): boolean {
    return this.groups.has(`${group}\u0000${i}`);
  }

  /** True when node `i` has room for the demand (capacity, breaker trials, anti-affinity). */
  fits(i: number, cpu: number, mem: number, group: string | undefined): boolean {
    return (
      this.freeTasks[i]! >= 1 &&
      this.trials[i]! >= 1 &&
      this.freeCpu[i]! >= cpu &&
      this.freeMem[i]! >= mem &&
      (group === undefined || !this.groups.has(`${group}\u0000${i}`))
    );
  }

  /**
   * The least loaded (`spread`) or most loaded (`pack`) candidate that fits, or -1. Loads compare
   * in 1/LOAD_LEVELS steps; at equal level the node that has waited longest there goes first.
   */
  pick(cands: LoadIndex, cpu: number, mem: number, group: string | undefined, strategy: PlacementStrategy): number {
    return cands.find(strategy === 'spread', (i) => {
      if (!this.usable(i)) {
        cands.remove(i);
        return false;
      }
      return this.freeCpu[i]! >= cpu && this.freeMem[i]! >= mem && (group === undefined || !this.groups.has(`${group}\u0000${i}`));
    });
  }

  /** Takes the demand's resources from node `i` and moves it to its new load level. */
  commit(i: number, cpu: number, mem: number, group: string | undefined): void {
    this.freeCpu[i]! -= cpu;
    this.freeMem[i]! -= mem;
    this.freeTasks[i]! -= 1;
    this.trials[i]! -= 1;
    if (group !== undefined) this.groups.add(`${group}\u0000${i}`);
    if (this.freeTasks[i]! < 1 || this.trials[i]! < 1) this.openNodes--;
    const usable = this.usable(i);
    const load = this.load(i);
    for (const idx of this.indexes) {
      if (!idx.has(i)) continue;
      if (usable) idx.put(i, load);
      else idx.remove(i);
    }
  }

  /** False when node `i` cannot take even the smallest queued demand this round. */
  private usable(i: number): boolean {
    return this.freeTasks[i]! >= 1 && this.trials[i]! >= 1 && this.freeCpu[i]! >= this.floorCpu && this.freeMem[i]! >= this.floorMem;
  }
}

function splitPair(pair: string): [string, string] {
  const eq = pair.indexOf('=');
  return [pair.slice(0, eq), pair.slice(eq + 1)];
}
