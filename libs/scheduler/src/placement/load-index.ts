/** Number of load levels: nodes within 1/LEVELS of each other count as equally loaded. */
export const LOAD_LEVELS = 128;

/**
 * A set of node indices bucketed by load level (0 = idle .. LOAD_LEVELS-1 = full), each bucket a
 * doubly linked list, so the least (or most) loaded node that fits is found without scanning
 * every node, and a node moves between buckets in O(1) when a placement changes its load.
 */
export class LoadIndex {
  private readonly head = new Int32Array(LOAD_LEVELS).fill(-1);
  private readonly tail = new Int32Array(LOAD_LEVELS).fill(-1);
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** Bucket of each node, or -1 when not a member. */
  private readonly level: Int16Array;
  size = 0;

  constructor(nodeCount: number) {
    this.next = new Int32Array(nodeCount);
    this.prev = new Int32Array(nodeCount);
    this.level = new Int16Array(nodeCount).fill(-1);
  }

  has(i: number): boolean {
    return this.level[i]! >= 0;
  }

  /** Adds node `i` at the tail of its load level (a member is moved). */
  put(i: number, load: number): void {
    if (this.level[i]! >= 0) this.remove(i);
    const b = load >= 1 ? LOAD_LEVELS - 1 : load <= 0 ? 0 : Math.floor(load * LOAD_LEVELS);
    this.level[i] = b;
    this.next[i] = -1;
    this.prev[i] = this.tail[b]!;
    if (this.tail[b]! >= 0) this.next[this.tail[b]!] = i;
    else this.head[b] = i;
    this.tail[b] = i;
    this.size++;
  }

  remove(i: number): void {
    const b = this.level[i]!;
    if (b < 0) return;
    const p = this.prev[i]!;
    const n = this.next[i]!;
    if (p >= 0) this.next[p] = n;
    else this.head[b] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail[b] = p;
    this.level[i] = -1;
    this.size--;
  }

  /**
   * Walks members from the least loaded level up (`ascending`) or the most loaded down, calling
   * `visit` until it returns true; returns the node it stopped at, or -1. `visit` may remove the
   * node it is given (and only that node).
   */
  find(ascending: boolean, visit: (i: number) => boolean): number {
    for (let k = 0; k < LOAD_LEVELS; k++) {
      const b = ascending ? k : LOAD_LEVELS - 1 - k;
      let i = this.head[b]!;
      while (i >= 0) {
        const n = this.next[i]!;
        if (visit(i)) return i;
        i = n;
      }
    }
    return -1;
  }
}
