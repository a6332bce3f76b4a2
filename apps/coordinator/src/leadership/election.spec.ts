import { describe, expect, it } from '@jest/globals';
import type { LeaderLease } from '@shoal/protocol';
import fc from 'fast-check';
import { LeaderElection, type Observation, type Step, type WriteResult } from './election.js';

const TTL = 5000;
const PULSE = 1000;

/** The KV key as JetStream keeps it: a value and a stream-wide revision that only grows. */
class FakeKey {
  value?: LeaderLease;
  revision = 0;
  private seq = 0;
  private readonly history: Observation[] = [{ kind: 'absent' }];
  read(): Observation {
    return this.value ? { kind: 'lease', lease: this.value, revision: this.revision } : { kind: 'absent' };
  }
  /** What a bucket replica that is one write behind answers. */
  stale(): Observation {
    return this.history[Math.max(0, this.history.length - 2)]!;
  }
  /** Applies a create or CAS update; the result a client would see if the reply arrives. */
  write(step: Step): WriteResult {
    if (step.kind === 'wait') throw new Error('nothing to write');
    const expected = step.kind === 'create' ? 0 : step.revision;
    const current = this.value ? this.revision : 0;
    if (expected !== current) return { kind: 'conflict' };
    this.seq += 1;
    this.value = step.lease;
    this.revision = this.seq;
    this.history.push(this.read());
    return { kind: 'ok', revision: this.revision };
  }
}

const offsets = new WeakMap<LeaderElection, number>();

function replica(name: string, clock: { t: number }, offset = 0, instance = `${name}-i`): LeaderElection {
  const e = new LeaderElection({ coordinatorId: name, instance, url: `http://${name}` }, { ttlMs: TTL, pulseMs: PULSE, now: () => clock.t + offset, wallNow: () => 0 });
  offsets.set(e, offset);
  return e;
}

/** One pulse of a replica: read, decide, write, record (sent at the replica's own clock time). */
function tick(e: LeaderElection, key: FakeKey, clock: { t: number }): Step {
  const step = e.decide(key.read());
  if (step.kind !== 'wait') e.written(step, key.write(step), clock.t + (offsets.get(e) ?? 0));
  return step;
}

describe('LeaderElection', () => {
  it('a lone coordinator takes an absent lease on its first pulse, term 1, and keeps renewing it', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const a = replica('a', clock);
    expect(tick(a, key, clock)).toMatchObject({ kind: 'create', lease: { term: 1, coordinatorId: 'a' } });
    expect(a.role).toBe('leader');
    expect(a.drainChanges()).toEqual([expect.objectContaining({ kind: 'promoted', term: 1, fresh: true })]);
    for (let i = 0; i < 20; i++) {
      clock.t += PULSE;
      expect(tick(a, key, clock)).toMatchObject({ kind: 'update', why: 'renewal' });
      expect(a.active).toBe(true);
    }
    expect(key.value?.term).toBe(1);
    expect(a.drainChanges()).toEqual([]);
  });

  it('a standby takes over only after the revision stood still for a full lease period on its own clock', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const a = replica('a', clock);
    const b = replica('b', clock, 987_654_321); // its clock reads anything: only its own differences count
    tick(a, key, clock);
    for (let i = 0; i < 5; i++) {
      clock.t += PULSE;
      tick(a, key, clock);
      expect(tick(b, key, clock).kind).toBe('wait');
    }
    // a dies (kill -9): its lease revision stops changing
    const diedAt = clock.t;
    let takenAt: number | undefined;
    while (takenAt === undefined) {
      clock.t += PULSE;
      if (tick(b, key, clock).kind === 'update') takenAt = clock.t;
    }
    expect(takenAt - diedAt).toBeGreaterThanOrEqual(TTL);
    expect(takenAt - diedAt).toBeLessThanOrEqual(TTL + 2 * PULSE);
    expect(b.role).toBe('leader');
    expect(b.drainChanges()).toEqual([expect.objectContaining({ kind: 'promoted', term: 2, fresh: false })]);
    expect(key.value).toMatchObject({ coordinatorId: 'b', term: 2 });
  });

  it('a leader that cannot renew is suspended before the lease period ends, and resumes if nobody took the lease', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const a = replica('a', clock);
    tick(a, key, clock);
    a.drainChanges();
    clock.t += TTL - PULSE - 1;
    expect(a.active).toBe(true);
    clock.t += 1;
    expect(a.active).toBe(false);
    expect(a.role).toBe('suspended');
    expect(a.drainChanges()).toEqual([expect.objectContaining({ kind: 'suspended', term: 1 })]);
    clock.t += 30_000; // the bus is back after 30 s, nobody else wrote the key
    tick(a, key, clock);
    expect(a.role).toBe('leader');
    expect(a.drainChanges()).toEqual([{ kind: 'resumed', term: 1 }]);
  });

  it('the holder has stopped acting by the earliest instant a candidate can take over', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const a = replica('a', clock);
    const b = replica('b', clock);
    tick(a, key, clock); // sent at 0; b reads the new revision at once, then every pulse
    for (clock.t = 0; clock.t < TTL; clock.t += PULSE) expect(tick(b, key, clock).kind).toBe('wait');
    clock.t = TTL - 1;
    expect(tick(b, key, clock).kind).toBe('wait');
    clock.t = TTL;
    expect(a.active).toBe(false);
    expect(b.decide(key.read()).kind).toBe('update');
  });

  it('after an outage of the whole bus longer than the lease the holder keeps it: the standby watches afresh', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const a = replica('a', clock);
    const b = replica('b', clock);
    tick(a, key, clock);
    tick(b, key, clock);
    for (let i = 0; i < 30; i++) {
      clock.t += PULSE;
      expect(b.decide({ kind: 'error', message: 'TIMEOUT' }).kind).toBe('wait');
      a.decide({ kind: 'error', message: 'TIMEOUT' });
    }
    expect(a.role).toBe('suspended');
    clock.t += PULSE; // the bus is back: whoever reads first, the standby does not take over
    expect(tick(b, key, clock).kind).toBe('wait');
    tick(a, key, clock);
    expect(a.role).toBe('leader');
    clock.t += PULSE;
    expect(tick(b, key, clock).kind).toBe('wait');
    expect(b.role).toBe('standby');
  });

  it('a standby that could not read for half a lease watches a full lease again', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const a = replica('a', clock);
    const b = replica('b', clock);
    tick(a, key, clock);
    tick(b, key, clock); // watching since 0; a dies now
    clock.t += TTL / 2 + 1; // b itself was paused
    const resumed = clock.t;
    while (clock.t < resumed + TTL) {
      expect(tick(b, key, clock).kind).toBe('wait');
      clock.t += PULSE;
    }
    clock.t = resumed + TTL;
    expect(tick(b, key, clock).kind).toBe('update');
  });

  it('a bus error while renewing changes nothing until the fencing deadline', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const a = replica('a', clock);
    tick(a, key, clock);
    for (let i = 1; i < 4; i++) {
      clock.t += PULSE;
      const step = a.decide(key.read());
      a.written(step, { kind: 'error', message: 'timeout' }, clock.t);
      expect(a.active).toBe(true);
    }
    clock.t += PULSE;
    expect(a.active).toBe(false);
  });

  it('a holder that finds the lease taken is deposed and never acts again', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const a = replica('a', clock);
    const b = replica('b', clock);
    tick(a, key, clock);
    // a is paused (SIGSTOP) while b watches the lease expire and takes it
    for (let i = 0; i <= TTL / PULSE + 1; i++) {
      clock.t += PULSE;
      tick(b, key, clock);
    }
    expect(b.role).toBe('leader');
    expect(a.active).toBe(false); // woke up: suspended by its own clock before reading anything
    a.drainChanges();
    expect(tick(a, key, clock).kind).toBe('wait');
    expect(a.role).toBe('deposed');
    expect(a.drainChanges()).toEqual([expect.objectContaining({ kind: 'deposed', term: 1, by: expect.objectContaining({ coordinatorId: 'b', term: 2 }) })]);
    clock.t += 60_000;
    expect(tick(a, key, clock).kind).toBe('wait');
    expect(a.active).toBe(false);
  });

  it('a CAS conflict on renewal suspends at once; the next read decides', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const a = replica('a', clock);
    tick(a, key, clock);
    clock.t += PULSE;
    const step = a.decide(key.read());
    a.written(step, { kind: 'conflict' }, clock.t);
    expect(a.role).toBe('suspended');
    // it was a late write of its own that landed: still its lease, so it resumes
    clock.t += PULSE;
    tick(a, key, clock);
    expect(a.role).toBe('leader');
  });

  it('a stale read (a bucket replica behind the holder\'s own write) neither deposes nor suspends the holder', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const old: LeaderLease = { coordinatorId: 'x', instance: 'x-i', url: 'u', term: 1, ttlMs: TTL, renewedAt: 0 };
    key.write({ kind: 'create', lease: old, why: 't' });
    const staleRevision = key.revision;
    const b = replica('b', clock);
    tick(b, key, clock);
    for (let i = 0; i < TTL / PULSE; i++) {
      clock.t += PULSE;
      tick(b, key, clock);
    }
    expect(b.role).toBe('leader');
    clock.t += PULSE;
    // a follower still has the previous holder's lease: b waits, it is not deposed
    expect(b.decide({ kind: 'lease', lease: old, revision: staleRevision })).toEqual({ kind: 'wait' });
    expect(b.role).toBe('leader');
    // a follower with b's own lease but an older revision: b renews at the revision it wrote
    const own = key.value!;
    const step = b.decide({ kind: 'lease', lease: own, revision: key.revision - 1 });
    expect(step).toMatchObject({ kind: 'update', revision: key.revision });
    b.written(step, key.write(step), clock.t);
    expect(b.active).toBe(true);
    // a replica without the key at all: waited out while the lease is fresh
    expect(b.decide({ kind: 'absent' })).toEqual({ kind: 'wait' });
    expect(b.role).toBe('leader');
  });

  it('a suspended holder that finds the key gone is deposed', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const a = replica('a', clock);
    tick(a, key, clock);
    clock.t += TTL;
    expect(a.role).toBe('suspended');
    expect(a.decide({ kind: 'absent' })).toEqual({ kind: 'wait' });
    expect(a.role).toBe('deposed');
  });

  it('a released lease is taken at once with the next term', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const a = replica('a', clock);
    const b = replica('b', clock);
    tick(a, key, clock);
    tick(b, key, clock);
    const release = a.releaseStep();
    expect(a.active).toBe(false);
    key.write(release);
    clock.t += PULSE;
    tick(b, key, clock);
    expect(b.role).toBe('leader');
    expect(key.value).toMatchObject({ coordinatorId: 'b', term: 2 });
  });

  it('a restarted process of the same coordinator takes its predecessor\'s lease on its first read', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const before = replica('host:8080', clock, 0, 'one');
    tick(before, key, clock);
    const after = replica('host:8080', clock, 0, 'two');
    tick(after, key, clock);
    expect(after.role).toBe('leader');
    expect(key.value).toMatchObject({ instance: 'two', term: 2 });
  });

  it('only on its first read: later the same name waits like anyone else', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    const other = replica('x', clock);
    const twin = replica('host:8080', clock, 0, 'two');
    tick(other, key, clock);
    tick(twin, key, clock);
    key.write({ kind: 'update', lease: { coordinatorId: 'host:8080', instance: 'one', url: 'u', term: 5, ttlMs: TTL, renewedAt: 0 }, revision: key.revision, why: 't' });
    clock.t += PULSE;
    expect(tick(twin, key, clock).kind).toBe('wait');
  });

  it('waits the longer of its own and the holder\'s lease period', () => {
    const clock = { t: 0 };
    const key = new FakeKey();
    key.write({ kind: 'create', lease: { coordinatorId: 'slow', instance: 's', url: 'u', term: 3, ttlMs: 20_000, renewedAt: 0 }, why: 't' });
    const b = replica('b', clock);
    for (; clock.t < 20_000; clock.t += PULSE) expect(tick(b, key, clock).kind).toBe('wait');
    expect(tick(b, key, clock)).toMatchObject({ kind: 'update', lease: { term: 4 } });
  });

  it('refuses a lease shorter than two pulses', () => {
    expect(() => new LeaderElection({ coordinatorId: 'a', instance: 'i', url: 'u' }, { ttlMs: 1000, pulseMs: 1000, now: () => 0 })).toThrow(/two pulses/);
  });

  /**
   * Three replicas with unrelated clocks; reads, sends and replies interleave at random, replicas
   * pause for long stretches, writes fail with or without landing, reads fail or come from a
   * replica one write behind. At no instant are two replicas active, and every promotion carries
   * a higher term than any before it.
   */
  it('never two active leaders, terms strictly increase (random schedules)', () => {
    const event = fc.record({
      who: fc.integer({ min: 0, max: 2 }),
      advance: fc.oneof(fc.integer({ min: 0, max: PULSE / 4 }), fc.integer({ min: 0, max: 3 * PULSE })),
      fault: fc.constantFrom('none', 'none', 'none', 'lost', 'landed-no-reply', 'slow-reply', 'read-error', 'stale-read'),
    });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e9, max: 1e9 }), { minLength: 3, maxLength: 3 }), fc.array(event, { minLength: 1, maxLength: 400 }), (offsets, events) => {
        const clock = { t: 0 };
        const key = new FakeKey();
        const rs = offsets.map((o, i) => replica(`r${i}`, clock, o));
        type Pending = { step: Step; sentAt?: number; result?: WriteResult };
        const pending: (Pending | undefined)[] = [undefined, undefined, undefined];
        let highest = 0;
        for (const ev of events) {
          clock.t += ev.advance;
          const e = rs[ev.who]!;
          const p = pending[ev.who];
          if (!p) {
            const seen: Observation = ev.fault === 'read-error' ? { kind: 'error', message: 'timeout' } : ev.fault === 'stale-read' ? key.stale() : key.read();
            const step = e.decide(seen);
            if (step.kind !== 'wait') pending[ev.who] = { step };
          } else if (p.sentAt === undefined) {
            p.sentAt = clock.t + offsets[ev.who]!;
            if (ev.fault === 'lost') p.result = { kind: 'error', message: 'timeout' };
            else {
              const r = key.write(p.step);
              p.result = ev.fault === 'landed-no-reply' ? { kind: 'error', message: 'timeout' } : r;
            }
            if (ev.fault !== 'slow-reply') {
              e.written(p.step, p.result, p.sentAt);
              pending[ev.who] = undefined;
            }
          } else {
            e.written(p.step, p.result!, p.sentAt);
            pending[ev.who] = undefined;
          }
          for (const c of e.drainChanges()) {
            if (c.kind !== 'promoted') continue;
            expect(c.term).toBeGreaterThan(highest);
            highest = c.term;
          }
          expect(rs.filter((r) => r.active).length).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
