import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION, type TaskStatus } from '@shoal/protocol';
import { tempDir, type TempDir, waitFor } from '@shoal/testing';
import { decodeEntry, outboxFileName, reportMsgId } from './outbox-entry.js';
import { ReportOutbox, type ReportOutboxDeps } from './report-outbox.js';

const started = (taskId = 'build', attempt = 1): TaskStatus => ({
  v: PROTOCOL_VERSION,
  kind: 'task.started',
  runId: 'run-1',
  taskId,
  attempt,
  nodeId: 'node-a',
  startedAt: 1_700_000_000_000,
  session: 'Task-ops',
  window: 'Ops-Build',
  pid: 4242,
});

const finished = (taskId = 'build', attempt = 1, outcome: 'succeeded' | 'lost' = 'succeeded'): TaskStatus => ({
  v: PROTOCOL_VERSION,
  kind: 'task.finished',
  runId: 'run-1',
  taskId,
  attempt,
  nodeId: 'node-a',
  outcome,
  exitCode: outcome === 'succeeded' ? 0 : null,
  finishedAt: 1_700_000_001_000,
  outputTail: 'done',
});

/** A bus that takes reports while `up`, and remembers what it took (msg ids). */
class FakeBus {
  up = true;
  readonly taken: string[] = [];
  failures = 0;
  publish = async (s: TaskStatus): Promise<{ duplicate: boolean }> => {
    if (!this.up) {
      this.failures += 1;
      throw new Error('no responders');
    }
    const id = reportMsgId(s);
    const duplicate = this.taken.includes(id);
    if (!duplicate) this.taken.push(id);
    return { duplicate };
  };
}

describe('report outbox', () => {
  let dir: TempDir;
  let outboxes: ReportOutbox[];
  const messages: string[] = [];
  const make = (bus: FakeBus, over: Partial<ReportOutboxDeps> = {}): ReportOutbox => {
    const o = new ReportOutbox({
      dir: join(dir.path, 'outbox'),
      publish: bus.publish,
      now: Date.now,
      log: (m) => messages.push(m),
      warn: (m) => messages.push(m),
      error: (m) => messages.push(`ERROR ${m}`),
      retry: { firstMs: 5, maxMs: 20 },
      warnEveryMs: 0,
      ...over,
    });
    outboxes.push(o);
    return o;
  };
  const pendingFiles = () => readdirSync(join(dir.path, 'outbox')).filter((n) => n.endsWith('.json')).sort();

  beforeEach(() => {
    dir = tempDir();
    outboxes = [];
    messages.length = 0;
  });
  afterEach(async () => {
    for (const o of outboxes) o.stop();
    await dir.dispose();
  });

  it('writes a report to disk (0600 in 0700) before publishing it, and keeps only a tombstone once JetStream acked it', async () => {
    const bus = new FakeBus();
    bus.up = false;
    const outbox = make(bus);
    await outbox.open();
    expect(await outbox.put(started())).toBe('durable');
    const name = outboxFileName(started());
    expect(name).toBe('run-1.build.1.task.started.json');
    const file = join(dir.path, 'outbox', name);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir.path, 'outbox')).mode & 0o777).toBe(0o700);
    expect(decodeEntry(readFileSync(file, 'utf8'))).toMatchObject({ ok: true, value: { v: 1, seq: 0, status: started() } });
    outbox.start();
    await waitFor(() => bus.failures >= 2, { what: 'publish retried while the bus is down', timeoutMs: 5000 });
    expect(existsSync(file)).toBe(true);
    expect(outbox.depth).toBe(1);
    bus.up = true;
    outbox.kick();
    await waitFor(() => outbox.depth === 0, { what: 'the report delivered', timeoutMs: 5000 });
    expect(bus.taken).toEqual(['run-1.build.1.task.started']);
    expect(existsSync(file)).toBe(false);
    expect(statSync(join(dir.path, 'outbox', 'sent', name)).size).toBe(0);
    expect(outbox.counters).toMatchObject({ delivered: 1, duplicates: 0, memoryOnly: 0 });
  });

  it("tells a delivered end again (kept in sent/, across a restart), but not a start, a pending end or another attempt's", async () => {
    const bus = new FakeBus();
    bus.up = false;
    const outbox = make(bus);
    await outbox.open();
    await outbox.put(started('a'));
    await outbox.put(finished('a'));
    expect(await outbox.deliveredEnd({ runId: 'run-1', taskId: 'a', attempt: 1 })).toBeUndefined();
    outbox.start();
    bus.up = true;
    expect(await outbox.flush(5000)).toBe(true);
    expect(await outbox.deliveredEnd({ runId: 'run-1', taskId: 'a', attempt: 1 })).toEqual(finished('a'));
    expect(await outbox.deliveredEnd({ runId: 'run-1', taskId: 'a', attempt: 2 })).toBeUndefined();
    expect(await outbox.deliveredEnd({ runId: 'run-1', taskId: 'b', attempt: 1 })).toBeUndefined();
    expect(statSync(join(dir.path, 'outbox', 'sent', outboxFileName(started('a')))).size).toBe(0);
    outbox.stop();
    const again = make(new FakeBus());
    await again.open();
    expect(await again.deliveredEnd({ runId: 'run-1', taskId: 'a', attempt: 1 })).toEqual(finished('a'));
  });

  it('delivers in the order reports were put, after the bus comes back', async () => {
    const bus = new FakeBus();
    bus.up = false;
    const outbox = make(bus);
    await outbox.open();
    outbox.start();
    // put without waiting for each other: the order of put() is the order of delivery
    await Promise.all([outbox.put(started('a')), outbox.put(started('b')), outbox.put(finished('a')), outbox.put(finished('b', 1, 'lost'))]);
    await waitFor(() => bus.failures >= 3, { what: 'retries while the bus is down', timeoutMs: 5000 });
    expect(pendingFiles()).toHaveLength(4);
    bus.up = true;
    expect(await outbox.flush(5000)).toBe(true);
    expect(bus.taken).toEqual(['run-1.a.1.task.started', 'run-1.b.1.task.started', 'run-1.a.1.task.finished', 'run-1.b.1.task.finished']);
    expect(pendingFiles()).toEqual([]);
  });

  it('names the attempts whose end is not delivered yet (the heartbeat keeps them running until then)', async () => {
    const bus = new FakeBus();
    bus.up = false;
    const outbox = make(bus);
    await outbox.open();
    await outbox.put(started('a'));
    await outbox.put(finished('a'));
    await outbox.put(finished('b', 2, 'lost'));
    expect(outbox.undeliveredEnds()).toEqual([
      { runId: 'run-1', taskId: 'a', attempt: 1 },
      { runId: 'run-1', taskId: 'b', attempt: 2 },
    ]);
    outbox.start();
    bus.up = true;
    expect(await outbox.flush(5000)).toBe(true);
    expect(outbox.undeliveredEnds()).toEqual([]);
  });

  it('after a kick (reconnect) retries at once and starts its backoff over', async () => {
    const bus = new FakeBus();
    bus.up = false;
    const outbox = make(bus, { retry: { firstMs: 10, maxMs: 60_000 } });
    await outbox.open();
    await outbox.put(started());
    outbox.start();
    // backoff grows 10, 20, 40, ... ms: after ~9 failures the next retry is seconds away
    await waitFor(() => bus.failures >= 9, { what: 'the backoff to grow', timeoutMs: 10_000 });
    bus.up = true;
    const kickedAt = Date.now();
    outbox.kick();
    expect(await outbox.flush(2000)).toBe(true);
    expect(Date.now() - kickedAt).toBeLessThan(1000);
  });

  it('a kick gives up waiting for a publish sent into a dead connection and publishes again', async () => {
    const bus = new FakeBus();
    let hung = 0;
    const outbox = make(bus, {
      publish: (s) => (hung++ === 0 ? new Promise<never>(() => undefined) : bus.publish(s)), // the first never answers
    });
    await outbox.open();
    outbox.start();
    await outbox.put(started());
    await waitFor(() => hung === 1, { what: 'the first publish in flight', timeoutMs: 5000 });
    expect(await outbox.flush(300)).toBe(false);
    outbox.kick();
    expect(await outbox.flush(2000)).toBe(true);
    expect(bus.taken).toEqual(['run-1.build.1.task.started']);
  });

  it('does not send a second report of the same attempt and kind, pending or already delivered', async () => {
    const bus = new FakeBus();
    const outbox = make(bus);
    await outbox.open();
    expect(await outbox.put(finished())).toBe('durable');
    expect(await outbox.put(finished('build', 1, 'lost'))).toBe('duplicate');
    outbox.start();
    expect(await outbox.flush(5000)).toBe(true);
    expect(await outbox.put(finished('build', 1, 'lost'))).toBe('duplicate');
    expect(outbox.has({ runId: 'run-1', taskId: 'build', attempt: 1, kind: 'task.finished' })).toBe(true);
    expect(outbox.has({ runId: 'run-1', taskId: 'build', attempt: 2, kind: 'task.finished' })).toBe(false);
    await outbox.flush(5000);
    expect(bus.taken).toEqual(['run-1.build.1.task.finished']);
    expect(outbox.counters.duplicates).toBe(2);

    // a new incarnation remembers the tombstone
    outbox.stop();
    const next = make(bus);
    await next.open();
    expect(await next.put(finished())).toBe('duplicate');
    expect(await next.put(finished('build', 2))).toBe('durable');
  });

  it('a new incarnation delivers what the previous one left, in order, and numbers new reports after them', async () => {
    const bus = new FakeBus();
    bus.up = false;
    const first = make(bus);
    await first.open();
    first.start();
    for (const s of [started('a'), started('b'), finished('b'), finished('a')]) await first.put(s);
    first.stop(); // killed: nothing delivered
    writeFileSync(join(dir.path, 'outbox', '.run-1.c.1.task.started.json.99.tmp'), '{"half');
    bus.up = true;
    const second = make(bus);
    await second.open();
    expect(second.depth).toBe(4);
    expect(messages.join('\n')).toContain('4 report(s) of a previous incarnation not yet delivered');
    await second.put(started('c'));
    second.start();
    expect(await second.flush(5000)).toBe(true);
    expect(bus.taken).toEqual(['run-1.a.1.task.started', 'run-1.b.1.task.started', 'run-1.b.1.task.finished', 'run-1.a.1.task.finished', 'run-1.c.1.task.started']);
    expect(readdirSync(join(dir.path, 'outbox')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('moves a corrupt file aside and counts it, at start and while draining, and goes on with the next report', async () => {
    const bus = new FakeBus();
    mkdirSync(join(dir.path, 'outbox'), { recursive: true });
    writeFileSync(join(dir.path, 'outbox', 'run-1.x.1.task.started.json'), 'garbage');
    writeFileSync(join(dir.path, 'outbox', 'run-1.y.1.task.started.json'), JSON.stringify({ v: 1, seq: 0, writtenAt: 0, status: { kind: 'task.started' } }));
    const outbox = make(bus);
    await outbox.open();
    expect(outbox.counters.quarantined).toBe(2);
    expect(readdirSync(join(dir.path, 'outbox', 'quarantine'))).toHaveLength(2);
    expect(messages.filter((m) => m.startsWith('ERROR') && m.includes('unreadable'))).toHaveLength(2);

    bus.up = false;
    await outbox.put(started('a'));
    await outbox.put(started('b'));
    writeFileSync(join(dir.path, 'outbox', outboxFileName(started('a'))), '{"v":1,');
    outbox.start();
    bus.up = true;
    expect(await outbox.flush(5000)).toBe(true);
    expect(bus.taken).toEqual(['run-1.b.1.task.started']);
    expect(outbox.counters.quarantined).toBe(3);
    expect(readdirSync(join(dir.path, 'outbox', 'quarantine'))).toHaveLength(3);
  });

  it('is bounded: beyond its cap a report waits in memory, loudly, and is still delivered in order', async () => {
    const bus = new FakeBus();
    bus.up = false;
    const outbox = make(bus, { cap: 2 });
    await outbox.open();
    expect(await outbox.put(started('a'))).toBe('durable');
    expect(await outbox.put(started('b'))).toBe('durable');
    expect(await outbox.put(started('c'))).toBe('memory');
    expect(pendingFiles()).toHaveLength(2);
    expect(messages.join('\n')).toMatch(/ERROR outbox: run-1.c.1.task.started.json kept in memory only.*cap 2/);
    outbox.start();
    bus.up = true;
    expect(await outbox.flush(5000)).toBe(true);
    expect(bus.taken).toEqual(['run-1.a.1.task.started', 'run-1.b.1.task.started', 'run-1.c.1.task.started']);
    expect(outbox.counters).toMatchObject({ delivered: 3, memoryOnly: 1 });
    // room again: the next report goes to disk
    bus.up = false;
    expect(await outbox.put(started('d'))).toBe('durable');
  });

  it('keeps a report in memory when the disk write fails, and never throws', async () => {
    const bus = new FakeBus();
    const outbox = make(bus);
    await outbox.open();
    rmSync(join(dir.path, 'outbox'), { recursive: true });
    writeFileSync(join(dir.path, 'outbox'), 'not a directory');
    expect(await outbox.put(finished())).toBe('memory');
    outbox.start();
    expect(await outbox.flush(5000)).toBe(true);
    expect(bus.taken).toEqual(['run-1.build.1.task.finished']);
    expect(messages.join('\n')).toMatch(/ERROR outbox: .* kept in memory only.*write failed/);
  });

  it('makes its directory again when it was removed while running', async () => {
    const bus = new FakeBus();
    const outbox = make(bus);
    await outbox.open();
    rmSync(join(dir.path, 'outbox'), { recursive: true });
    expect(await outbox.put(finished())).toBe('durable');
    outbox.start();
    expect(await outbox.flush(5000)).toBe(true);
    expect(readdirSync(join(dir.path, 'outbox', 'sent'))).toEqual([outboxFileName(finished())]);
  });

  it('counts a report JetStream already had (an earlier publish whose ack was lost)', async () => {
    const bus = new FakeBus();
    bus.taken.push('run-1.build.1.task.started');
    const outbox = make(bus);
    await outbox.open();
    outbox.start();
    await outbox.put(started());
    expect(await outbox.flush(5000)).toBe(true);
    expect(outbox.counters).toMatchObject({ delivered: 1, alreadyStored: 1 });
  });

  it('prunes tombstones older than a day, at start and on demand', async () => {
    const bus = new FakeBus();
    const outbox = make(bus);
    await outbox.open();
    outbox.start();
    await outbox.put(started('old'));
    await outbox.put(started('new'));
    expect(await outbox.flush(5000)).toBe(true);
    const old = new Date(Date.now() - 25 * 3_600_000);
    utimesSync(join(dir.path, 'outbox', 'sent', outboxFileName(started('old'))), old, old);
    expect(await outbox.prune()).toBe(1);
    expect(outbox.has(started('old'))).toBe(false);
    expect(outbox.has(started('new'))).toBe(true);
    expect(readdirSync(join(dir.path, 'outbox', 'sent'))).toEqual([outboxFileName(started('new'))]);
  });
});
