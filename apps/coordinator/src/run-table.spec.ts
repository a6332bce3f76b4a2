import type { RunView, TaskView } from '@shoal/protocol';
import type { ActiveRun } from './run-table.js';
import { Metrics } from './metrics.js';
import type { NatsGateway } from './nats.gateway.js';
import { FakeRunsBucket as FakeBucket, conflict, timeout } from './run-store/fake-runs-bucket.spec-support.js';
import { headText, pageTexts } from './run-store/run-pages.js';
import { RunTable } from './run-table.js';
import { casWrite } from './state-write.js';

function fixture(deadlineMs = 300) {
  const bucket = new FakeBucket();
  const metrics = new Metrics();
  const table = new RunTable(bucket as unknown as NatsGateway, metrics, { stateWriteDeadlineMs: deadlineMs });
  const run = { view: { id: 'r1', state: 'running', tasks: [] } as unknown as RunView } as ActiveRun;
  return { bucket, metrics, table, run };
}

const stored = (b: FakeBucket) => JSON.parse(b.docs.get('run.r1')!.text) as { state: string; n?: number };

describe('casWrite', () => {
  it('retries transient failures with backoff, then succeeds', async () => {
    let n = 0;
    const rev = await casWrite({ what: 'x', attempt: async () => (++n < 3 ? Promise.reject(timeout()) : 42) }, { deadlineMs: 2000, initialDelayMs: 5, maxDelayMs: 10 });
    expect([rev, n]).toEqual([42, 3]);
  });

  it('rejects with a TransportError naming what and how long once the deadline passed', async () => {
    const p = casWrite({ what: 'run r9', attempt: () => Promise.reject(new Error('503 no responders available')) }, { deadlineMs: 150, initialDelayMs: 5, maxDelayMs: 20 });
    await expect(p).rejects.toMatchObject({ code: 'E_TRANSPORT', message: expect.stringMatching(/could not store run r9 \(\d+ tries over 0\.\d s\): 503 no responders/) });
  });

  it('a conflict is not retried: ConflictError, another writer changed it', async () => {
    let n = 0;
    const p = casWrite({ what: 'run r2', attempt: () => (n++, Promise.reject(conflict())) }, { deadlineMs: 5000 });
    await expect(p).rejects.toMatchObject({ code: 'E_CONFLICT', message: expect.stringContaining('changed in the KV store by another writer') });
    expect(n).toBe(1);
  });
});

describe('RunTable', () => {
  it('creates at the first write, then every write is a CAS on the tracked revision', async () => {
    const { bucket, table, run } = fixture();
    await table.create(run);
    expect(table.revision('r1')).toBe(1);
    run.view.state = 'succeeded';
    await table.persist('r1');
    expect(table.revision('r1')).toBe(2);
    expect(stored(bucket).state).toBe('succeeded');
  });

  it('a create that cannot be stored leaves nothing in memory', async () => {
    const { bucket, table, run } = fixture(100);
    bucket.script = Array.from({ length: 100 }, () => ({ error: timeout }));
    await expect(table.create(run)).rejects.toMatchObject({ code: 'E_TRANSPORT' });
    expect(table.get('r1')).toBeUndefined();
    expect(table.all()).toEqual([]);
  });

  it('never overwrites a run another writer changed: rejects with ConflictError, counts it, stays fenced', async () => {
    const { bucket, table, run, metrics } = fixture();
    await table.create(run);
    bucket.docs.set('run.r1', { text: '{"state":"cancelled"}', revision: ++bucket.seq }); // a second coordinator
    run.view.state = 'failed';
    await expect(table.persist('r1')).rejects.toMatchObject({ code: 'E_CONFLICT' });
    await expect(table.persist('r1')).rejects.toMatchObject({ code: 'E_CONFLICT' });
    expect(stored(bucket).state).toBe('cancelled');
    expect(await metrics.value('shoal_state_write_failures_total{reason="conflict"}')).toBe(2);
  });

  it('a timeout whose write did land is recognised on the conflict that follows (not a false conflict)', async () => {
    const { bucket, table, run } = fixture(2000);
    await table.create(run);
    run.view.state = 'succeeded';
    bucket.script = [{ error: timeout, landed: true }];
    await table.persist('r1');
    expect(stored(bucket).state).toBe('succeeded');
    expect(table.revision('r1')).toBe(2);
    expect(table.isDirty('r1')).toBe(false);
  });

  it('a write that failed but landed all the same (every try timed out) is no conflict for the next write', async () => {
    const { bucket, table, run } = fixture(100);
    await table.create(run);
    run.view.state = 'failed';
    bucket.script = [{ error: timeout, landed: true }, ...Array.from({ length: 1000 }, () => ({ error: timeout }))];
    await expect(table.persist('r1')).rejects.toMatchObject({ code: 'E_TRANSPORT' });
    expect(stored(bucket).state).toBe('failed'); // it did land
    bucket.script = [];
    (run.view as unknown as { n: number }).n = 3;
    await table.persist('r1');
    expect(stored(bucket)).toMatchObject({ state: 'failed', n: 3 });
  });

  it('a failed write the store commits late (after the next write read the document) is ours: the next write goes on from it, not fenced', async () => {
    const { bucket, table, run, metrics } = fixture(100);
    await table.create(run);
    run.view.state = 'failed';
    const inDoubt = headText(run.view, []);
    bucket.script = Array.from({ length: 1000 }, () => ({ error: timeout }));
    await expect(table.persist('r1')).rejects.toMatchObject({ code: 'E_TRANSPORT' });
    expect(stored(bucket).state).toBe('running'); // not stored yet: its leader lost quorum
    bucket.script = [];
    bucket.beforeNextWrite = () => bucket.docs.set('run.r1', { text: inDoubt, revision: ++bucket.seq }); // quorum back: committed now
    (run.view as unknown as { n: number }).n = 2;
    await table.persist('r1');
    expect(stored(bucket)).toMatchObject({ state: 'failed', n: 2 });
    expect(table.revision('r1')).toBe(bucket.seq);
    expect(await metrics.value('shoal_state_write_failures_total{reason="conflict"}')).toBe(0);
  });

  it('a conflict read back from a lagging replica (a revision not past ours) is read again, not taken for another writer', async () => {
    const { bucket, table, run } = fixture(2000);
    await table.create(run);
    const old = bucket.docs.get('run.r1')!;
    bucket.beforeNextWrite = () => bucket.docs.set('run.r1', { text: '{"state":"cancelled"}', revision: ++bucket.seq }); // another writer
    bucket.staleReads = [old, old];
    run.view.state = 'failed';
    await expect(table.persist('r1')).rejects.toMatchObject({ code: 'E_CONFLICT' });
    expect(bucket.staleReads).toEqual([]); // both lagging reads were passed over before the verdict
    expect(stored(bucket).state).toBe('cancelled');
  });

  it('a failed write rejects loudly, the run stays dirty, and the next change stores everything', async () => {
    const { bucket, table, run, metrics } = fixture(100);
    await table.create(run);
    bucket.script = Array.from({ length: 1000 }, () => ({ error: timeout }));
    run.view.state = 'failed';
    const failed = table.persist('r1');
    await expect(failed).rejects.toMatchObject({ code: 'E_TRANSPORT' });
    expect(table.isDirty('r1')).toBe(true);
    expect(await metrics.value('shoal_state_write_failures_total{reason="transport"}')).toBe(1);
    expect(await metrics.value('shoal_state_dirty_runs')).toBe(1);
    bucket.script = [];
    (run.view as unknown as { n: number }).n = 1;
    await table.persist('r1');
    expect(stored(bucket)).toMatchObject({ state: 'failed', n: 1 });
    expect(table.isDirty('r1')).toBe(false);
    // only the stored write is timed (create is not a persist): one sample, the failed one not counted
    expect(await metrics.value('shoal_state_write_duration_seconds_count')).toBe(1);
  });

  it('retryDirty writes a dirty run without waiting for a change', async () => {
    const { bucket, table, run } = fixture(50);
    await table.create(run);
    bucket.script = Array.from({ length: 1000 }, () => ({ error: timeout }));
    run.view.state = 'failed';
    await table.persist('r1').catch(() => undefined);
    bucket.script = [];
    table.retryDirty();
    await new Promise((r) => setTimeout(r, 20));
    expect(stored(bucket).state).toBe('failed');
  });

  it('changes made while a write is in flight coalesce into one next write; a fire-and-forget failure is no unhandled rejection', async () => {
    const { bucket, table, run } = fixture();
    await table.create(run);
    const writes = bucket.writes;
    bucket.delayMs = 30;
    const a = table.persist('r1');
    const a2 = table.persist('r1');
    expect(a2).toBe(a); // not started yet: the same write
    await new Promise((r) => setTimeout(r, 10)); // a is in flight now
    const b = table.persist('r1');
    const c = table.persist('r1');
    expect(b).toBe(c);
    await Promise.all([a, b, c]);
    expect(bucket.writes - writes).toBe(2);
    bucket.delayMs = 0;
    bucket.script = Array.from({ length: 1000 }, () => ({ error: timeout }));
    void table.persist('r1'); // would crash the test run if unhandled
    await new Promise((r) => setTimeout(r, 400));
  });
});

describe('RunTable: placed attempts (committed budgets, attempts per node)', () => {
  const spec = (cpuPercent: number) => ({ cpuPercent, memoryMb: 100 });
  function placedFixture() {
    const table = new RunTable(new FakeBucket() as unknown as NatsGateway, new Metrics(), { stateWriteDeadlineMs: 300 });
    const tasks = ['t1', 't2', 't3'].map((id) => ({ id, state: 'queued' }) as RunView['tasks'][number]);
    const run = { view: { id: 'r1', state: 'running', tasks } as unknown as RunView, plan: { tasks: new Map(tasks.map((t, i) => [t.id, spec(10 * (i + 1))])) } } as unknown as ActiveRun;
    table.add(run, 1);
    return { table, run, t: (i: number) => tasks[i]! };
  }
  const ids = (list: readonly { task: { id: string } }[]) => list.map((p) => p.task.id);

  it('follows every persisted change: dispatched and running attempts hold room on their node, finished ones do not', async () => {
    const { table, t } = placedFixture();
    expect(table.committed().size).toBe(0);
    Object.assign(t(0), { state: 'dispatched', nodeId: 'n1' });
    Object.assign(t(1), { state: 'dispatched', nodeId: 'n2' });
    void table.persist('r1');
    expect(table.committed().get('n1')).toMatchObject({ cpuPercent: 10, memoryMb: 100, tasks: 1 });
    expect(ids(table.placedOn('n1'))).toEqual(['t1']);
    expect(ids(table.placedOn('n2'))).toEqual(['t2']);
    Object.assign(t(0), { state: 'running' });
    Object.assign(t(2), { state: 'running', nodeId: 'n1' });
    void table.persist('r1');
    expect(table.committed().get('n1')).toMatchObject({ cpuPercent: 40, tasks: 2 });
    expect(ids(table.placedOn('n1'))).toEqual(['t1', 't3']);
    Object.assign(t(0), { state: 'succeeded' });
    void table.persist('r1');
    expect(table.committed().get('n1')).toMatchObject({ cpuPercent: 30, tasks: 1 });
    expect(ids(table.placedOn('n1'))).toEqual(['t3']);
    expect(ids(table.placedOn('n3'))).toEqual([]);
  });

  it('lists are kept until the run is touched; an attempt that left meanwhile is not counted (views are read live)', () => {
    const { table, t } = placedFixture();
    Object.assign(t(0), { state: 'dispatched', nodeId: 'n1' });
    table.touched('r1');
    expect(ids(table.placedOn('n1'))).toEqual(['t1']);
    Object.assign(t(1), { state: 'running', nodeId: 'n1' }); // not noted yet
    expect(ids(table.placedOn('n1'))).toEqual(['t1']);
    table.touched('r1');
    expect(ids(table.placedOn('n1'))).toEqual(['t1', 't2']);
    Object.assign(t(0), { state: 'queued', nodeId: undefined }); // left without a note: still listed, not committed
    expect(table.committed().get('n1')).toMatchObject({ cpuPercent: 20, tasks: 1 });
  });

  it('a removed run holds nothing, a run added again is read afresh', () => {
    const { table, run, t } = placedFixture();
    Object.assign(t(0), { state: 'running', nodeId: 'n1' });
    table.touched('r1');
    expect(table.committed().size).toBe(1);
    table.remove('r1');
    expect(table.committed().size).toBe(0);
    expect(ids(table.placedOn('n1'))).toEqual([]);
    table.add(run, { revision: 2, pages: { keys: [], tasks: [], overlay: [] } });
    expect(ids(table.placedOn('n1'))).toEqual(['t1']);
  });
});

describe('what a run stores', () => {
  it('a page holds its tasks without their waiting reasons, and the view in memory keeps them', () => {
    const tasks = [
      { id: 't1', state: 'queued', waitingReason: 'no node with label agent=gemini' },
      { id: 't2', state: 'running', nodeId: 'n1' },
    ] as unknown as TaskView[];
    const [text, ...more] = pageTexts(tasks);
    expect(more).toEqual([]);
    expect(JSON.parse(text!)).toEqual([{ id: 't1', state: 'queued' }, { id: 't2', state: 'running', nodeId: 'n1' }]);
    expect(tasks[0]!.waitingReason).toBe('no node with label agent=gemini');
  });

  it('what a run writes to the store carries no waiting reasons', async () => {
    const { bucket, table, run } = fixture();
    (run.view as { tasks: unknown[] }).tasks = [{ id: 't1', state: 'queued', waitingReason: 'no room' }];
    await table.create(run);
    await table.persist('r1');
    expect([...bucket.docs.values()].map((d) => d.text).join('\n')).not.toContain('waitingReason');
  });
});
