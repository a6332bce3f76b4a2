/** Where a batch session stands. */
export type BatchQueueState = 'busy' | 'lingering' | 'closed';

/**
 * The members of one batch session in arrival order, and when the session may end: a session
 * whose queue ran empty lingers for `lingerMs` so that a member arriving a moment later still
 * joins it; once closed, it takes no member (a late one starts a new session). Pure: the clock
 * is injected.
 */
export class BatchQueue<M extends { readonly key: string }> {
  private readonly waiting: M[] = [];
  private state_: BatchQueueState = 'busy';
  private idleSince = 0;

  constructor(
    private readonly lingerMs: number,
    private readonly now: () => number,
  ) {}

  get state(): BatchQueueState {
    return this.state_;
  }

  /** Members waiting for their turn. */
  get size(): number {
    return this.waiting.length;
  }

  /** Adds a member; false when the session is closed (the member must start a session of its own). */
  join(member: M): boolean {
    if (this.state_ === 'closed') return false;
    this.waiting.push(member);
    return true;
  }

  /** The next member whose turn it is; none: the session lingers from now. */
  next(): M | undefined {
    if (this.state_ === 'closed') return undefined;
    const m = this.waiting.shift();
    if (m) this.state_ = 'busy';
    else if (this.state_ !== 'lingering') {
      this.state_ = 'lingering';
      this.idleSince = this.now();
    }
    return m;
  }

  /** Takes a waiting member out of the queue (cancelled before its turn); false when it is not waiting. */
  remove(key: string): boolean {
    const i = this.waiting.findIndex((m) => m.key === key);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  /** Milliseconds until a lingering session may close (0: now); undefined while busy, closed, or members wait. */
  lingerLeft(): number | undefined {
    if (this.state_ !== 'lingering' || this.waiting.length) return undefined;
    return Math.max(0, this.idleSince + this.lingerMs - this.now());
  }

  /** Closes the session; returns the members still waiting (they start a session of their own). */
  close(): M[] {
    this.state_ = 'closed';
    return this.waiting.splice(0);
  }
}
