import type { NodeView, PlacementGate, PlacementStrategy } from './types.js';

/** Why a node takes no new task this round, or undefined when it may. */
export type NodeBlock = 'dead' | 'cpu-band' | 'breaker' | undefined;

/**
 * The nodes of one placement round in flat typed arrays (sorted by id, so decisions do not depend
 * on the caller's order), with a label index and per-selector candidate lists.
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
  private readonly candidateCache = new Map<string, CandidateList>();
  private readonly preferCache = new Map<string, Uint8Array>();
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

  /** Eligible nodes for a selector, cached for the round; nodes that fill up are dropped as found. */
  candidates(requires: string[], avoid: string[]): CandidateList {
    const sig = `${requires.join(',')}|${avoid.join(',')}`;
    let c = this.candidateCache.get(sig);
    if (!c) {
      const idx = Int32Array.from(this.matching(requires, avoid).filter((i) => this.block[i] === undefined));
      c = { idx, len: idx.length };
      this.candidateCache.set(sig, c);
    }
    return c;
  }

  /** True when node `i` is still a candidate list member. */
  isCandidate(list: CandidateList, i: number): boolean {
    for (let j = 0; j < list.len; j++) if (list.idx[j] === i) return true;
    return false;
  }

  /** 1 for nodes carrying every pair of a soft-affinity selector, cached for the round. */
  preferred(pairs: string[]): Uint8Array | undefined {
    if (pairs.length === 0) return undefined;
    const sig = pairs.join(',');
    let p = this.preferCache.get(sig);
    if (!p) {
      p = new Uint8Array(this.n);
      for (const i of this.matching(pairs, [])) p[i] = 1;
      this.preferCache.set(sig, p);
    }
    return p;
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

  /** The best fitting candidate for the strategy (preferred nodes first), or -1. */
  pick(cands: CandidateList, cpu: number, mem: number, group: string | undefined, strategy: PlacementStrategy, prefer?: Uint8Array): number {
    const pack = strategy === 'pack';
    let best = -1;
    let bestScore = -Infinity;
    const { freeCpu, freeMem, freeTasks, trials, capCpu, capMem, maxTasks, invCpu, invMem, invTasks, floorCpu, floorMem } = this;
    const idx = cands.idx;
    let kept = 0;
    for (let j = 0; j < cands.len; j++) {
      const i = idx[j]!;
      const ft = freeTasks[i]!;
      const fc = freeCpu[i]!;
      const fm = freeMem[i]!;
      if (ft < 1 || trials[i]! < 1 || fc < floorCpu || fm < floorMem) continue;
      idx[kept++] = i;
      if (fc < cpu || fm < mem) continue;
      if (group !== undefined && this.groups.has(`${group}\u0000${i}`)) continue;
      let used = (capCpu[i]! - fc + cpu) * invCpu[i]!;
      const um = (capMem[i]! - fm + mem) * invMem[i]!;
      if (um > used) used = um;
      const ut = (maxTasks[i]! - ft + 1) * invTasks[i]!;
      if (ut > used) used = ut;
      const score = (prefer && prefer[i] ? 2 : 0) + (pack ? used : -used);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    cands.len = kept;
    return best;
  }

  /** Takes the demand's resources from node `i`. */
  commit(i: number, cpu: number, mem: number, group: string | undefined): void {
    this.freeCpu[i]! -= cpu;
    this.freeMem[i]! -= mem;
    this.freeTasks[i]! -= 1;
    this.trials[i]! -= 1;
    if (group !== undefined) this.groups.add(`${group}\u0000${i}`);
    if (this.freeTasks[i]! < 1 || this.trials[i]! < 1) this.openNodes--;
  }
}

function splitPair(pair: string): [string, string] {
  const eq = pair.indexOf('=');
  return [pair.slice(0, eq), pair.slice(eq + 1)];
}

/** A selector's eligible nodes: the first `len` entries of `idx`, in id order. */
export interface CandidateList {
  idx: Int32Array;
  len: number;
}
