import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkerPool, type WorkerPoolOptions } from './worker-pool';

// A plain-JS worker (jest runs the TypeScript sources; a worker thread needs a runnable file).
const WORKER = `
import { parentPort, threadId } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.op === 'echo') parentPort.postMessage({ value: m.value, threadId });
  if (m.op === 'spin') { const end = Date.now() + m.ms; while (Date.now() < end); parentPort.postMessage({ value: 'spun', threadId }); }
  if (m.op === 'hang') { for (;;); }
  if (m.op === 'crash') throw new Error('boom');
  if (m.op === 'hog') { const keep = []; for (;;) keep.push(new Array(1e6).fill(keep.length)); }
});
`;

type In = { op: string; value?: unknown; ms?: number };
type Out = { value: unknown; threadId: number };

describe('WorkerPool', () => {
  let dir: string;
  let script: URL;
  const pools: WorkerPool<In, Out>[] = [];
  const pool = (o: Partial<WorkerPoolOptions<In>> = {}) => {
    const p = new WorkerPool<In, Out>({ script, size: 2, maxQueue: 4, timeoutMs: 10_000, maxHeapMb: 64, what: 'test pool', ...o });
    pools.push(p);
    return p;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shoal-pool-'));
    writeFileSync(join(dir, 'worker.mjs'), WORKER);
    script = pathToFileURL(join(dir, 'worker.mjs'));
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs jobs on at most `size` threads and answers each job with its own result', async () => {
    const p = pool();
    const out = await Promise.all(Array.from({ length: 6 }, (_, i) => p.run({ op: 'echo', value: i })));
    expect(out.map((o) => o.value)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(out.map((o) => o.threadId)).size).toBeLessThanOrEqual(2);
  });

  it('refuses, retryably, a job beyond the queue bound instead of queueing it', async () => {
    const p = pool({ size: 1, maxQueue: 1 });
    const running = p.run({ op: 'spin', ms: 300 });
    const queued = p.run({ op: 'echo', value: 'q' });
    await expect(p.run({ op: 'echo', value: 'x' })).rejects.toMatchObject({ code: 'E_TRANSPORT', retryable: true, message: expect.stringMatching(/test pool is busy/) });
    expect(p.waiting).toBe(1);
    await expect(running).resolves.toMatchObject({ value: 'spun' });
    await expect(queued).resolves.toMatchObject({ value: 'q' });
  });

  it('starts waiting jobs cheapest first, ties in arrival order', async () => {
    const p = pool({ size: 1, maxQueue: 8, cost: (i) => (typeof i.value === 'string' ? i.value.length : 0) });
    const order: unknown[] = [];
    const track = (value: string) => p.run({ op: 'echo', value }).then((o) => order.push(o.value));
    const running = p.run({ op: 'spin', ms: 300 });
    await Promise.all([track('big-1-xxxxxxxx'), track('big-2-xxxxxxxx'), track('s1'), track('mid-xxx'), track('s2'), running]);
    expect(order).toEqual(['s1', 's2', 'mid-xxx', 'big-1-xxxxxxxx', 'big-2-xxxxxxxx']);
  });

  it('abandons a job past its deadline, terminates its thread and keeps serving', async () => {
    const p = pool({ size: 1, timeoutMs: 300 });
    await expect(p.run({ op: 'echo', value: 'warm' })).resolves.toMatchObject({ value: 'warm' });
    await expect(p.run({ op: 'hang' })).rejects.toMatchObject({ code: 'E_TIMEOUT', message: 'test pool took longer than 300 ms' });
    await expect(p.run({ op: 'echo', value: 'after' })).resolves.toMatchObject({ value: 'after' }); // on a new thread
  });

  it("does not count a new thread's start against its first job's deadline", async () => {
    const slow = join(dir, 'slow-boot-worker.mjs');
    writeFileSync(slow, `const end = Date.now() + 800; while (Date.now() < end);\n${WORKER}`); // 800 ms of module loading
    const p = pool({ size: 1, timeoutMs: 300, script: pathToFileURL(slow) });
    await expect(p.run({ op: 'echo', value: 'first' })).resolves.toMatchObject({ value: 'first' });
    await expect(p.run({ op: 'hang' })).rejects.toMatchObject({ code: 'E_TIMEOUT', message: 'test pool took longer than 300 ms' });
  });

  it('fails the job of a crashed thread, or one over its heap limit, and replaces the thread', async () => {
    const p = pool({ size: 1, maxHeapMb: 32 });
    await expect(p.run({ op: 'crash' })).rejects.toMatchObject({ code: 'E_TRANSPORT', message: expect.stringMatching(/boom/) });
    await expect(p.run({ op: 'hog' })).rejects.toMatchObject({ code: 'E_TRANSPORT' });
    await expect(p.run({ op: 'echo', value: 'alive' })).resolves.toMatchObject({ value: 'alive' });
  });

  it('fails running and waiting jobs when closed', async () => {
    const p = pool({ size: 1 });
    const running = expect(p.run({ op: 'spin', ms: 200 })).rejects.toMatchObject({ message: expect.stringMatching(/shutting down/) });
    const waiting = expect(p.run({ op: 'echo', value: 1 })).rejects.toMatchObject({ message: expect.stringMatching(/shutting down/) });
    await p.close();
    await Promise.all([running, waiting]);
    await expect(p.run({ op: 'echo' })).rejects.toMatchObject({ code: 'E_TRANSPORT' });
  });
});
