/** An inclusive range of uids handed to agent processes (`SHOAL_AGENT_UIDS`). */
export interface UidRange {
  first: number;
  last: number;
}

/** Beyond the uids of normal and system users, and well inside the 32-bit uid space. */
export const DEFAULT_AGENT_UIDS: UidRange = { first: 2_000_000, last: 2_000_999 };

/** Highest uid the pool may use (2^32 - 2: `(uid_t)-1` means "no change" to the kernel). */
const MAX_UID = 2 ** 32 - 2;

/**
 * Parses `SHOAL_AGENT_UIDS`: `<first>-<last>` (inclusive). Uids below 1000 belong to the system
 * and are refused; so are ranges of more than 1,000,000 uids.
 * @throws Error naming the variable and what it accepts.
 */
export function parseUidRange(raw: string): UidRange {
  const m = /^\s*(\d{1,10})\s*-\s*(\d{1,10})\s*$/.exec(raw);
  const first = Number(m?.[1]);
  const last = Number(m?.[2]);
  if (!m || first < 1000 || last < first || last > MAX_UID || last - first >= 1_000_000) {
    throw new Error(`SHOAL_AGENT_UIDS=${raw}: must be "<first>-<last>" with 1000 <= first <= last <= ${MAX_UID} and at most 1000000 uids`);
  }
  return { first, last };
}

/** True when `uid` lies inside `range`. */
export function inRange(range: UidRange, uid: number): boolean {
  return uid >= range.first && uid <= range.last;
}

/**
 * One uid per running attempt. Pure bookkeeping: `allocate()` hands out the lowest uid not held;
 * `free()` gives it back (the caller frees a uid only once none of its processes are left).
 */
export class UidPool {
  private readonly held = new Set<number>();

  constructor(readonly range: UidRange) {}

  /** The lowest uid not held, now held; undefined when every uid is taken. */
  allocate(): number | undefined {
    for (let uid = this.range.first; uid <= this.range.last; uid++) {
      if (!this.held.has(uid)) {
        this.held.add(uid);
        return uid;
      }
    }
    return undefined;
  }

  /** Marks a uid as held (an attempt re-adopted, or processes left by an earlier node-agent). */
  hold(uid: number): void {
    if (!inRange(this.range, uid)) throw new RangeError(`uid ${uid} is outside the agent uid range ${this.range.first}-${this.range.last}`);
    this.held.add(uid);
  }

  /** Gives a uid back. */
  free(uid: number): void {
    this.held.delete(uid);
  }

  /** True while `uid` is held. */
  isHeld(uid: number): boolean {
    return this.held.has(uid);
  }

  /** Uids held, ascending. */
  heldUids(): number[] {
    return [...this.held].sort((a, b) => a - b);
  }
}
