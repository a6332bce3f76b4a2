import type { LeaderLease, LeaderRole } from '@shoal/protocol';

/**
 * Leader election over one KV key, as a pure state machine (no I/O, clock injected).
 *
 * Every pulse the service reads the lease, asks {@link LeaderElection.decide} what to write, writes
 * it (KV create-if-absent or compare-and-swap on the revision it read) and reports the outcome
 * to {@link LeaderElection.written}. The rules:
 * - a candidate takes the lease when it is absent, released, or has not changed revision for a
 *   full lease period on the candidate's own clock (no two clocks are ever compared), seen by
 *   reads that succeeded no further apart than half a lease: a candidate that could not read
 *   (bus outage, its own pause) starts watching afresh, so an outage of the whole bus does not
 *   hand the lease over the moment it ends (the holder renews first);
 * - the holder renews by CAS every pulse; it is {@link LeaderElection.active | active} only while
 *   its last confirmed renewal was *sent* less than `ttl - margin` ago: past that it is
 *   `suspended` (acts on nothing) before any candidate can have seen the lease expire;
 * - a suspended holder that renews again (nobody wrote the key meanwhile) resumes; a holder that
 *   sees anyone else's lease is `deposed` and must stop for good (the service exits).
 */

/** Declared with the HTTP shapes in @shoal/protocol (`GET /leader`, `/healthz`). */
export type { LeaderRole };

/** Who this replica is. */
export interface Self {
  coordinatorId: string;
  /** Random per process. */
  instance: string;
  url: string;
}

/** Timing of the election. */
export interface ElectionOptions {
  /** Lease period (SHOAL_LEADER_LEASE_MS). */
  ttlMs: number;
  /** Renewal period; also the holder's safety margin before the lease period ends. */
  pulseMs: number;
  /** Monotonic clock (ms). */
  now: () => number;
  /** Wall clock, only for `renewedAt` (informational). */
  wallNow?: () => number;
}

/** What a read of the lease key returned. */
export type Observation = { kind: 'absent' } | { kind: 'lease'; lease: LeaderLease; revision: number } | { kind: 'error'; message: string };

/** What to write next. */
export type Step =
  | { kind: 'wait' }
  | { kind: 'create'; lease: LeaderLease; why: string }
  | { kind: 'update'; lease: LeaderLease; revision: number; why: string };

/** Outcome of a write: the new revision, a CAS conflict (someone wrote first), or a bus error. */
export type WriteResult = { kind: 'ok'; revision: number } | { kind: 'conflict' } | { kind: 'error'; message: string };

/** A change of role worth acting on. */
export type RoleChange =
  | { kind: 'promoted'; term: number; why: string; /** The key was absent: no earlier leader can have left work half done. */ fresh: boolean }
  | { kind: 'suspended'; term: number; why: string }
  | { kind: 'resumed'; term: number }
  | { kind: 'deposed'; term: number; why: string; by?: LeaderLease };

/** The election state of one replica. */
export class LeaderElection {
  private state: LeaderRole = 'standby';
  private term = 0;
  /** Holder: revision of the lease as last confirmed, and when that write was sent. */
  private revision = 0;
  private renewSentAt = 0;
  /** Candidate: the revision it watches and since when (own clock). */
  private watched?: { revision: number; since: number };
  /** When the last read succeeded (own clock). */
  private lastRead?: number;
  private seenFirst = false;
  private highestTerm = 0;
  private lastLease?: LeaderLease;
  private pending: RoleChange[] = [];

  constructor(
    readonly self: Self,
    private readonly opts: ElectionOptions,
  ) {
    if (!(opts.pulseMs > 0 && opts.ttlMs >= 2 * opts.pulseMs)) throw new Error(`lease ${opts.ttlMs} ms must be at least two pulses of ${opts.pulseMs} ms`);
  }

  /** The role, after applying the fencing deadline at the current time. */
  get role(): LeaderRole {
    this.fence();
    return this.state;
  }

  /** True while this replica may act as leader: dispatch, judge liveness, consume status. */
  get active(): boolean {
    return this.role === 'leader';
  }

  /** The current term if leading (or suspended), else the highest term seen. */
  get currentTerm(): number {
    return this.state === 'standby' ? this.highestTerm : this.term;
  }

  /** The last lease seen in the key (whoever holds it). */
  get lease(): LeaderLease | undefined {
    return this.lastLease;
  }

  /** Role changes since the last call, oldest first. */
  drainChanges(): RoleChange[] {
    this.fence();
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Decides what to write after a read of the key. */
  decide(obs: Observation): Step {
    this.fence();
    if (this.state === 'deposed') return { kind: 'wait' };
    const now = this.opts.now();
    if (obs.kind === 'error') {
      this.watched = undefined;
      return { kind: 'wait' };
    }
    if (this.lastRead !== undefined && now - this.lastRead > this.opts.ttlMs / 2) this.watched = undefined;
    this.lastRead = now;
    const first = !this.seenFirst;
    this.seenFirst = true;
    if (obs.kind === 'lease') {
      this.lastLease = obs.lease;
      this.highestTerm = Math.max(this.highestTerm, obs.lease.term);
    }
    if (this.state === 'leader' || this.state === 'suspended') return this.decideAsHolder(obs);
    if (obs.kind === 'absent') return { kind: 'create', lease: this.next(this.highestTerm + 1), why: 'no lease' };
    const { lease, revision } = obs;
    if (lease.released) return this.take(revision, `term ${lease.term} released by ${lease.coordinatorId}`);
    if (lease.instance === this.self.instance) return this.take(revision, 'the lease is this process\'s own');
    if (first && lease.coordinatorId === this.self.coordinatorId) return this.take(revision, `left by an earlier process of ${lease.coordinatorId}`);
    if (this.watched?.revision !== revision) {
      this.watched = { revision, since: now };
      return { kind: 'wait' };
    }
    const ttl = Math.max(this.opts.ttlMs, lease.ttlMs);
    const still = now - this.watched.since;
    if (still < ttl) return { kind: 'wait' };
    return this.take(revision, `lease of ${lease.coordinatorId} (term ${lease.term}) not renewed for ${Math.round(still)} ms`);
  }

  /** Records the outcome of the write `decide` asked for; `sentAt` is when it was sent (monotonic). */
  written(step: Step, result: WriteResult, sentAt: number): void {
    if (step.kind === 'wait' || this.state === 'deposed') return;
    const wasHolder = this.state === 'leader' || this.state === 'suspended';
    if (result.kind === 'ok') {
      this.revision = result.revision;
      this.renewSentAt = sentAt;
      this.lastLease = step.lease;
      if (!wasHolder) {
        this.state = 'leader';
        this.term = step.lease.term;
        this.highestTerm = Math.max(this.highestTerm, this.term);
        this.watched = undefined;
        this.pending.push({ kind: 'promoted', term: this.term, why: step.why, fresh: step.kind === 'create' });
      } else if (this.state === 'suspended') {
        this.state = 'leader';
        this.pending.push({ kind: 'resumed', term: this.term });
      }
      this.fence();
      return;
    }
    if (result.kind === 'conflict') {
      this.watched = undefined;
      // a holder stops at once; the next read tells whether the key is still its own
      if (wasHolder) this.suspend('the lease changed under a renewal (compare-and-swap conflict)');
    }
  }

  /** A holder's clean step-down (shutdown): from now on it acts on nothing; write the returned step to release the lease. */
  releaseStep(): Step {
    if (this.state !== 'leader' && this.state !== 'suspended') return { kind: 'wait' };
    const lease: LeaderLease = { ...this.next(this.term), released: true };
    this.state = 'deposed';
    this.pending.push({ kind: 'deposed', term: this.term, why: 'released on shutdown' });
    return { kind: 'update', lease, revision: this.revision, why: 'shutdown' };
  }

  /**
   * A holder renews its own lease; anyone else's deposes it. A read older than the holder's own
   * last write (a replica of an R3 bucket that has not caught up answered) is not evidence of
   * anything: the holder renews at its own revision, or waits; an absent key is waited out while
   * the lease is fresh (the compare-and-swap decides), and deposes a suspended holder.
   */
  private decideAsHolder(obs: Exclude<Observation, { kind: 'error' }>): Step {
    const mine = obs.kind === 'lease' && obs.lease.instance === this.self.instance && obs.lease.term === this.term && !obs.lease.released;
    if (obs.kind === 'lease' && obs.revision < this.revision) {
      return mine ? { kind: 'update', lease: this.next(this.term), revision: this.revision, why: 'renewal' } : { kind: 'wait' };
    }
    if (mine) return { kind: 'update', lease: this.next(this.term), revision: obs.revision, why: 'renewal' };
    if (obs.kind === 'absent' && this.state === 'leader') return { kind: 'wait' };
    const by = obs.kind === 'lease' ? obs.lease : undefined;
    const why = by ? `the lease is held by ${by.coordinatorId} (term ${by.term}) now` : 'the lease key is gone';
    this.state = 'deposed';
    this.pending.push({ kind: 'deposed', term: this.term, why, ...(by ? { by } : {}) });
    return { kind: 'wait' };
  }

  private take(revision: number, why: string): Step {
    return { kind: 'update', lease: this.next(this.highestTerm + 1), revision, why };
  }

  private next(term: number): LeaderLease {
    return { ...this.self, term, ttlMs: this.opts.ttlMs, renewedAt: Math.floor((this.opts.wallNow ?? Date.now)()) };
  }

  /** A leader whose last confirmed renewal was sent `ttl - pulse` ago or more is suspended. */
  private fence(): void {
    if (this.state !== 'leader') return;
    const age = this.opts.now() - this.renewSentAt;
    if (age >= this.opts.ttlMs - this.opts.pulseMs) this.suspend(`lease not renewed for ${Math.round(age)} ms (lease ${this.opts.ttlMs} ms)`);
  }

  private suspend(why: string): void {
    if (this.state !== 'leader') return;
    this.state = 'suspended';
    this.pending.push({ kind: 'suspended', term: this.term, why });
  }
}
