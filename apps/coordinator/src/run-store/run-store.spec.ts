import type { RunView, TaskView } from '@shoal/protocol';
import type { NatsGateway } from '../nats.gateway.js';
import { FakeRunsBucket, timeout } from './fake-runs-bucket.spec-support.js';
import { HEAD_BURST_MAX_BYTES, OVERLAY_BURST_MAX, OVERLAY_MAX, PAGE_SIZE, TASK_FIELDS, assembleRun, headText, isHead, pageTexts, storesAs } from './run-pages.js';
import { RunStore, type StoreSlot } from './run-store.js';

function run(tasks: number): RunView {
  const list = Array.from({ length: tasks }, (_, i) => ({ id: `t${i}`, phaseId: 'p', team: 'a', role: 'A-Dev', state: 'queued', attempt: 1, maxAttempts: 1 }) as TaskView);
  return { id: 'r1', plan: 'big', state: 'running', submittedAt: 1, phases: [{ id: 'p', state: 'running', dependsOn: [] }], tasks: list };
}

function fixture(deadlineMs = 300) {
  const bucket = new FakeRunsBucket();
  return { bucket, store: new RunStore(bucket as unknown as NatsGateway, deadlineMs) };
}

const pageKeys = (b: FakeRunsBucket) => [...b.docs.keys()].filter((k) => k.startsWith('page.'));
const head = (b: FakeRunsBucket) => JSON.parse(b.docs.get('run.r1')!.text) as { pages: string[]; taskCount: number; tasks?: unknown; overlay: unknown[] };

describe('RunStore', () => {
  it('stores a run as a head naming pages of PAGE_SIZE tasks, and reads it back whole', async () => {
    const { bucket, store } = fixture();
    const view = run(PAGE_SIZE * 2 + 1);
    await store.write(view, {});
    expect(head(bucket)).toMatchObject({ id: 'r1', state: 'running', taskCount: PAGE_SIZE * 2 + 1 });
    expect(head(bucket).tasks).toBeUndefined();
    expect(head(bucket).pages).toHaveLength(3);
    expect(pageKeys(bucket).sort()).toEqual([...head(bucket).pages].sort());
    const back = await store.read('r1');
    expect(back!.view).toEqual(view);
    expect(back!.pages.keys).toEqual(head(bucket).pages);
    expect(await store.read('nope')).toBeUndefined();
  });

  it('a change of one task rides in the head\'s overlay (no page written); past OVERLAY_MAX changed tasks (after one burst) their pages are written, the overlay empties and the replaced pages are deleted', async () => {
    const { bucket, store } = fixture();
    const view = run(PAGE_SIZE * 4);
    const slot: StoreSlot = {};
    await store.write(view, slot);
    const first = head(bucket).pages;
    const writes = bucket.pageWrites;
    view.tasks[PAGE_SIZE * 2 + 3]!.state = 'dispatched';
    await store.write(view, slot);
    expect(bucket.pageWrites).toBe(writes);
    expect(head(bucket)).toMatchObject({ pages: first, overlay: [[PAGE_SIZE * 2 + 3, expect.objectContaining({ state: 'dispatched' })]] });
    expect((await store.read('r1'))!.view.tasks[PAGE_SIZE * 2 + 3]!.state).toBe('dispatched');
    for (let i = 0; i < OVERLAY_MAX; i++) view.tasks[PAGE_SIZE - 10 + i]!.state = 'running'; // pages 0 and 1, plus the earlier change on page 2
    await store.write(view, slot); // a burst: the head alone, overlay OVERLAY_MAX + 1
    expect(bucket.pageWrites).toBe(writes);
    expect(head(bucket).overlay).toHaveLength(OVERLAY_MAX + 1);
    expect((await store.read('r1'))!.view).toEqual(view);
    view.state = 'cancelling' as RunView['state']; // the run's next write, whatever it changes, writes the burst's pages
    await store.write(view, slot);
    expect(bucket.pageWrites - writes).toBe(3);
    const second = head(bucket).pages;
    expect(second.map((k, i) => k !== first[i])).toEqual([true, true, true, false]);
    expect(head(bucket)).toMatchObject({ overlay: [] });
    expect(first.slice(0, 3).filter((k) => bucket.docs.has(k))).toEqual([]);
    expect(pageKeys(bucket).sort()).toEqual([...second].sort());
    expect((await store.read('r1'))!.view).toEqual(view);
  });

  it('a burst (a phase\'s dispatches) leaves as the head alone, read back whole; a second burst in a row writes its pages first', async () => {
    const { bucket, store } = fixture();
    const view = run(PAGE_SIZE * 5);
    const slot: StoreSlot = {};
    await store.write(view, slot);
    const writes = bucket.pageWrites;
    for (let i = 0; i < OVERLAY_BURST_MAX; i++) view.tasks[i]!.state = 'dispatched';
    await store.write(view, slot);
    expect(bucket.pageWrites).toBe(writes);
    expect(head(bucket).overlay).toHaveLength(OVERLAY_BURST_MAX);
    expect((await store.read('r1'))!.view).toEqual(view);
    for (let i = 0; i < OVERLAY_MAX + 1; i++) view.tasks[i]!.state = 'running';
    await store.write(view, slot);
    expect(bucket.pageWrites - writes).toBe(4); // pages 0 to 3 held the burst
    expect(head(bucket).overlay).toEqual([]);
    expect((await store.read('r1'))!.view).toEqual(view);
  });

  it('a burst whose head would pass HEAD_BURST_MAX_BYTES, or that changes more than OVERLAY_BURST_MAX tasks, writes its pages first', async () => {
    const big = fixture();
    const tails = run(PAGE_SIZE * 2);
    const slot: StoreSlot = {};
    await big.store.write(tails, slot);
    const tail = 'x'.repeat(Math.ceil(HEAD_BURST_MAX_BYTES / (OVERLAY_MAX + 1)));
    for (let i = 0; i <= OVERLAY_MAX; i++) Object.assign(tails.tasks[i]!, { state: 'succeeded', outputTail: tail });
    const before = big.bucket.pageWrites;
    await big.store.write(tails, slot);
    expect(big.bucket.pageWrites - before).toBe(2);
    expect(head(big.bucket).overlay).toEqual([]);
    expect((await big.store.read('r1'))!.view).toEqual(tails);
    const many = fixture();
    const wide = run(PAGE_SIZE * 5);
    const wideSlot: StoreSlot = {};
    await many.store.write(wide, wideSlot);
    for (let i = 0; i <= OVERLAY_BURST_MAX; i++) wide.tasks[i]!.state = 'dispatched';
    const wideBefore = many.bucket.pageWrites;
    await many.store.write(wide, wideSlot);
    expect(many.bucket.pageWrites - wideBefore).toBe(5);
    expect(head(many.bucket).overlay).toEqual([]);
  });

  it('a write that changes nothing in the tasks writes the head only', async () => {
    const { bucket, store } = fixture();
    const view = run(10);
    const slot: StoreSlot = {};
    await store.write(view, slot);
    const writes = bucket.pageWrites;
    view.state = 'cancelling' as RunView['state'];
    await store.write(view, slot);
    expect(bucket.pageWrites).toBe(writes);
    expect(head(bucket)).toMatchObject({ state: 'cancelling' });
  });

  it('pages of a write whose head was not stored are kept (that head may still land), and deleted once a later head is stored', async () => {
    const { bucket, store } = fixture(100);
    const view = run(PAGE_SIZE * 5);
    const slot: StoreSlot = {};
    await store.write(view, slot);
    for (let i = 0; i <= OVERLAY_BURST_MAX; i++) view.tasks[i]!.state = 'dispatched'; // too many even for a burst: pages 0 to 4 are written
    bucket.script = Array.from({ length: 1000 }, () => ({ error: timeout }));
    await expect(store.write(view, slot)).rejects.toMatchObject({ code: 'E_TRANSPORT' });
    const inDoubt = slot.unconfirmed!;
    expect(inDoubt).toHaveLength(5);
    expect(inDoubt.every((k) => bucket.docs.has(k))).toBe(true);
    bucket.script = [];
    view.tasks[PAGE_SIZE + 5]!.state = 'running';
    await store.write(view, slot);
    expect(inDoubt.filter((k) => bucket.docs.has(k))).toEqual([]);
    expect(pageKeys(bucket)).toEqual(head(bucket).pages);
    expect(slot.unconfirmed).toBeUndefined();
  });

  it('a head stored late by the bus names pages that are still there: the run reads whole, and the next write goes on from it', async () => {
    const { bucket, store } = fixture(100);
    const view = run(3);
    const slot: StoreSlot = {};
    await store.write(view, slot);
    view.tasks[0]!.state = 'dispatched';
    bucket.script = Array.from({ length: 1000 }, () => ({ error: timeout }));
    await expect(store.write(view, slot)).rejects.toMatchObject({ code: 'E_TRANSPORT' });
    const late = slot.unsure!.at(-1)!;
    bucket.docs.set('run.r1', { text: late, revision: ++bucket.seq }); // quorum back: the in-doubt head is committed
    expect((await store.read('r1'))!.view.tasks[0]!.state).toBe('dispatched');
    bucket.script = [];
    view.tasks[2]!.state = 'running';
    await store.write(view, slot);
    expect((await store.read('r1'))!.view.tasks.map((t) => t.state)).toEqual(['dispatched', 'queued', 'running']);
  });

  it('a head whose overlay names a task the run does not have is a DecodeError', async () => {
    const view = run(2);
    const doc = { ...(JSON.parse(headText(view, ['k0'])) as object), overlay: [[5, view.tasks[0]]] };
    await expect(assembleRun(doc, async () => pageTexts(view.tasks)[0])).rejects.toMatchObject({ code: 'E_DECODE', message: expect.stringContaining('overlay names task 5 of 2') });
  });

  it('a head that names a missing page is a DecodeError that names the page', async () => {
    const { bucket, store } = fixture();
    await store.write(run(3), {});
    const missing = head(bucket).pages[0]!;
    bucket.docs.delete(missing);
    await expect(store.read('r1')).rejects.toMatchObject({ code: 'E_DECODE', message: expect.stringContaining(missing) });
  });

  it('a run stored whole (format 1, before pages) is read as it is; its next write stores every page', async () => {
    const { bucket, store } = fixture();
    const view = run(PAGE_SIZE + 1);
    bucket.docs.set('run.r1', { text: JSON.stringify(view), revision: ++bucket.seq });
    const back = (await store.read('r1'))!;
    expect(back.view).toEqual(view);
    expect(back.pages).toEqual({ keys: [], tasks: [], overlay: [] });
    const slot: StoreSlot = { revision: back.revision, pages: back.pages };
    await store.write(view, slot);
    expect(bucket.pageWrites).toBe(2);
    expect((await store.read('r1'))!.view).toEqual(view);
  });
});

describe('run pages', () => {
  it('a task stores as its earlier copy unless a stored field changed: a replaced nested field or a field cleared counts, a waiting reason does not', () => {
    const t = { id: 't', state: 'running', attempt: 1, nodeId: 'n1', tmux: { socket: 's', session: 'S', window: 'W' } } as TaskView;
    const copy = { ...t };
    expect(storesAs(t, copy)).toBe(true);
    expect(storesAs(t, undefined)).toBe(false);
    expect(storesAs({ ...t, waitingReason: 'no room' }, copy)).toBe(true);
    expect(storesAs({ ...t, tmux: { ...t.tmux! } }, copy)).toBe(false);
    expect(storesAs({ ...t, nodeId: undefined }, copy)).toBe(false);
    const { nodeId: _n, ...without } = t;
    expect(storesAs(without as TaskView, copy)).toBe(false);
    expect(storesAs({ ...t, reason: 'late' }, copy)).toBe(false);
    expect(storesAs(t, { ...copy, nodeId: undefined })).toBe(false);
  });

  it.each(Object.entries(TASK_FIELDS))('field %s: a change of it makes the task store differently exactly when it is stored (%s)', (field, isStored) => {
    const t = { id: 't', phaseId: 'p', team: 'a', role: 'R', state: 'running', attempt: 1, maxAttempts: 3 } as TaskView;
    const changed = { ...t, [field]: { changed: field } } as unknown as TaskView;
    expect(storesAs(changed, { ...t })).toBe(!isStored);
    expect(storesAs({ ...t }, changed)).toBe(!isStored);
  });

  it('a change made while a write is in flight is written by the next write (the stored copies are taken when the pages are)', async () => {
    const { bucket, store } = fixture();
    const view = run(3);
    const slot: StoreSlot = {};
    await store.write(view, slot);
    bucket.delayMs = 20;
    view.tasks[1]!.state = 'dispatched';
    const first = store.write(view, slot);
    view.tasks[1]!.state = 'running'; // after the first write took its pages, before it is stored
    await first;
    bucket.delayMs = 0;
    await store.write(view, slot);
    expect((await store.read('r1'))!.view.tasks[1]!.state).toBe('running');
  });

  it('a head is told from a whole view, and assembling checks the task count', async () => {
    const view = run(2);
    const texts = pageTexts(view.tasks);
    const doc = JSON.parse(headText(view, ['k0'])) as unknown;
    expect(isHead(doc)).toBe(true);
    expect(isHead(view)).toBe(false);
    expect(await assembleRun(doc, async () => texts[0])).toEqual(view);
    const short = JSON.parse(headText({ ...view, tasks: [...view.tasks, view.tasks[0]!] }, ['k0'])) as unknown;
    await expect(assembleRun(short, async () => texts[0])).rejects.toMatchObject({ code: 'E_DECODE', message: expect.stringContaining('hold 2 tasks, its head says 3') });
  });
});
