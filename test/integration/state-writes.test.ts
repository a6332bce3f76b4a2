import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PROTOCOL_VERSION, type RunView, type TaskDispatched, type TaskView, encode, topology } from '@shoal/protocol';
import { Disposables, startNats, startNatsCluster, waitFor } from '@shoal/testing';
import { ensureConsumer, ensureTopology } from '@shoal/runtime';
import { context } from '@opentelemetry/api';
import { loadCoordinatorConfig } from '../../apps/coordinator/src/config.js';
import { Metrics } from '../../apps/coordinator/src/metrics.js';
import { NatsGateway } from '../../apps/coordinator/src/nats.gateway.js';
import { ORPHAN_PAGE_MIN_AGE_MS } from '../../apps/coordinator/src/run-store/orphan-pages.js';
import { OVERLAY_MAX, PAGE_SIZE, headText, pageKey } from '../../apps/coordinator/src/run-store/run-pages.js';
import { type ActiveRun, RunTable } from '../../apps/coordinator/src/run-table.js';
import { SecurityContext } from '../../apps/coordinator/src/security/security-context.js';

const cleanup = new Disposables();
afterEach(() => cleanup.disposeAll());

/** A coordinator's gateway and run table on `urls`, in a namespace of its own unless given. */
async function coordinatorParts(urls: string | string[], env: Record<string, string> = {}) {
  const config = loadCoordinatorConfig({ NATS_URL: Array.isArray(urls) ? urls.join(',') : urls, SHOAL_INSECURE: '1', SHOAL_NS: env.SHOAL_NS ?? `sw${randomUUID().slice(0, 8)}`, ...env });
  const metrics = new Metrics();
  const gateway = new NatsGateway(config, metrics, SecurityContext.open(config.security));
  cleanup.add(() => gateway.onModuleDestroy());
  await gateway.start();
  const table = new RunTable(gateway, metrics, config);
  return { config, metrics, gateway, table };
}

function activeRun(id: string): ActiveRun {
  const view = { id, plan: 'p', state: 'running', submittedAt: 1, phases: [], tasks: [] } as unknown as RunView;
  return { view, engine: undefined as never, plan: undefined as never };
}

async function client(servers: string | string[]): Promise<NatsConnection> {
  const nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  cleanup.add(() => nc.close());
  return nc;
}

function work(nodeId: string, runId = 'r1', taskId = 't1', attempt = 1): TaskDispatched {
  return {
    v: PROTOCOL_VERSION,
    kind: 'task.dispatched',
    runId,
    taskId,
    attempt,
    phaseId: 'p',
    nodeId,
    team: 'ops',
    role: 'Ops',
    command: ['true'],
    env: {},
    cpuPercent: 10,
    memoryMb: 64,
    timeoutMs: 60_000,
    priority: 0,
    dispatchedAt: Date.now(),
  } as unknown as TaskDispatched;
}

describe('run writes on real JetStream KV', () => {
  it('are compare-and-swap: a second coordinator that changed the run is never overwritten', async () => {
    const nats = cleanup.use(await startNats({ mode: 'local' }));
    const a = await coordinatorParts(nats.url);
    const b = await coordinatorParts(nats.url, { SHOAL_NS: a.config.namespace });
    const run = activeRun('r-cas');
    await a.table.create(run);
    const rev = a.table.revision('r-cas')!;
    const stored = await b.table.readStored('r-cas');
    expect(stored?.revision).toBe(rev);
    b.table.add({ ...activeRun('r-cas'), view: { ...stored!.view, state: 'cancelled' } }, stored);
    await b.table.persist('r-cas');
    run.view.state = 'succeeded';
    await expect(a.table.persist('r-cas')).rejects.toMatchObject({ code: 'E_CONFLICT', message: expect.stringContaining('another writer') });
    expect((await a.gateway.getRun<RunView>('run.r-cas'))?.state).toBe('cancelled');
    expect(await a.metrics.value('shoal_state_write_failures_total{reason="conflict"}')).toBe(1);
    // a create of an existing run is a conflict too, not an overwrite
    await expect(b.table.create(activeRun('r-cas'))).rejects.toMatchObject({ code: 'E_CONFLICT' });
  });

  it('a read of the runs bucket that NATS does not answer rejects as a retryable E_TRANSPORT (503), not a bare timeout (500)', async () => {
    const nats = cleanup.use(await startNats({ mode: 'local' }));
    const c = await coordinatorParts(nats.url);
    await c.table.create(activeRun('r-read'));
    expect((await c.table.readStored('r-read'))?.view.id).toBe('r-read');
    const pid = nats.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      await expect(c.table.readStored('r-read')).rejects.toMatchObject({ code: 'E_TRANSPORT', retryable: true, message: expect.stringContaining('run.r-read') });
      await expect(c.gateway.runKeys('run.>')).rejects.toMatchObject({ code: 'E_TRANSPORT' });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(() => c.table.readStored('r-read').then((r) => r?.view.id === 'r-read', () => false), { what: 'the run readable once the server answers again', timeoutMs: 30_000 });
  });

  it('a status whose effect cannot be stored is nakked, redelivered, and applied once; acked only after the store', async () => {
    const nats = cleanup.use(await startNats({ mode: 'local' }));
    const c = await coordinatorParts(nats.url, { SHOAL_STATE_WRITE_DEADLINE_MS: '300' });
    const run = activeRun('r-ack');
    await c.table.create(run);
    const realCas = c.gateway.casRun.bind(c.gateway);
    let failWrites = true;
    c.gateway.casRun = (...args) => (failWrites ? Promise.reject(new Error('TIMEOUT')) : realCas(...args));
    const seen: number[] = [];
    let applied = 0;
    await c.gateway.consumeStatus(async (s) => {
      seen.push(Date.now());
      const t = run.view as unknown as { finished?: string };
      if (t.finished !== s.taskId) {
        t.finished = s.taskId; // the engine's effect: a second delivery of the same report changes nothing
        applied += 1;
      }
      await c.table.persist('r-ack');
    });
    const nc = await client(nats.url);
    const topo = topology(c.config.namespace);
    const status = {
      v: PROTOCOL_VERSION,
      kind: 'task.finished',
      runId: 'r-ack',
      taskId: 't1',
      attempt: 1,
      nodeId: 'n1',
      outcome: 'succeeded',
      exitCode: 0,
      startedAt: 1,
      finishedAt: 2,
      outputTail: '',
    };
    await jetstream(nc).publish(topo.status('n1'), encode('status', status as never));
    await waitFor(() => seen.length >= 1, { what: 'first delivery', timeoutMs: 10_000 });
    const jsm = await jetstreamManager(nc);
    await waitFor(async () => (await c.metrics.value('shoal_state_write_failures_total{reason="transport"}')) >= 1, { what: 'the failed store counted', timeoutMs: 10_000 });
    expect((await jsm.consumers.info(topo.statusStream, 'coordinator')).num_ack_pending).toBe(1);
    expect((await c.gateway.getRun<{ finished?: string }>('run.r-ack'))?.finished).toBeUndefined();
    failWrites = false;
    await waitFor(async () => (await c.gateway.getRun<{ finished?: string }>('run.r-ack'))?.finished === 't1', { what: 'the effect stored', timeoutMs: 15_000 });
    await waitFor(async () => (await jsm.consumers.info(topo.statusStream, 'coordinator')).num_ack_pending === 0, { what: 'the status acked', timeoutMs: 15_000 });
    const info = await jsm.consumers.info(topo.statusStream, 'coordinator');
    expect(info.delivered.stream_seq).toBe(1);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(applied).toBe(1);
    expect(c.table.isDirty('r-ack')).toBe(false);
  });
});

describe('runs stored as a head and pages of tasks (real JetStream KV)', () => {
  it('a change of one task is a write of the head alone; a burst past the overlay too, and the next write writes its pages and purges the replaced ones without a delete marker; a second coordinator reads the run whole', async () => {
    const nats = cleanup.use(await startNats({ mode: 'local' }));
    const a = await coordinatorParts(nats.url);
    const run = activeRun('r-pages');
    run.view.tasks = Array.from({ length: 300 }, (_, i) => ({ id: `t${i}`, phaseId: 'p', team: 'a', role: 'A-Dev', state: 'queued', attempt: 1, maxAttempts: 1 }) as TaskView);
    await a.table.create(run);
    const jsm = await jetstreamManager(await client(nats.url));
    const stream = `KV_${a.gateway.topo.runsBucket}`;
    const state = async () => (await jsm.streams.info(stream)).state;
    const pages = Math.ceil(300 / PAGE_SIZE);
    expect((await state()).messages).toBe(1 + pages); // the head and its pages
    const first = await state();
    run.view.tasks[250]!.state = 'dispatched';
    run.view.tasks[250]!.nodeId = 'n1';
    await a.table.persist('r-pages');
    const second = await state();
    expect(second.last_seq - first.last_seq).toBe(1); // one message: the head
    expect(second.messages).toBe(1 + pages);
    for (let i = 0; i < OVERLAY_MAX; i++) run.view.tasks[i]!.state = 'running';
    await a.table.persist('r-pages');
    const burst = await state();
    expect(burst.last_seq - second.last_seq).toBe(1); // a burst: the head alone, OVERLAY_MAX + 1 tasks in its overlay
    const b = await coordinatorParts(nats.url, { SHOAL_NS: a.config.namespace });
    expect((await b.table.readStored('r-pages'))?.view).toEqual(JSON.parse(JSON.stringify(run.view)));
    run.view.tasks[299]!.state = 'dispatched';
    await a.table.persist('r-pages');
    expect((await state()).last_seq - burst.last_seq).toBe(4); // pages 0, 3 (task 250) and 4 (task 299), then the head
    await waitFor(async () => (await state()).messages === 1 + pages, { what: 'the replaced pages purged, no marker left', timeoutMs: 10_000 });
    const back = await b.table.readStored('r-pages');
    expect(back?.revision).toBe(a.table.revision('r-pages'));
    expect(back?.view.tasks).toHaveLength(300);
    expect(back?.view.tasks[250]).toMatchObject({ state: 'dispatched', nodeId: 'n1' });
    expect(back?.view).toEqual(JSON.parse(JSON.stringify(run.view)));
  });
});

describe('orphan task pages (real JetStream KV)', () => {
  it('a page no stored head names is deleted once older than the minimum age; the named pages stay and the run reads whole', async () => {
    const nats = cleanup.use(await startNats({ mode: 'local' }));
    const a = await coordinatorParts(nats.url);
    const run = activeRun('r-sweep');
    run.view.tasks = Array.from({ length: 200 }, (_, i) => ({ id: `t${i}`, phaseId: 'p', team: 'a', role: 'A-Dev', state: 'queued', attempt: 1, maxAttempts: 1 }) as TaskView);
    await a.table.create(run);
    // what a coordinator that stopped between its pages and its head leaves behind
    const orphan = pageKey('r-sweep', 1, 'deadbeef', 1);
    await a.gateway.putRunText(orphan, '[]', 2000);
    await a.gateway.putRunText(pageKey('r-gone', 0, 'deadbeef', 2), '[]', 2000);
    await a.gateway.putRunText('run.r-gone', headText(activeRun('r-gone').view, [pageKey('r-gone', 0, 'deadbeef', 2)]), 2000);
    await a.gateway.deleteRun('run.r-gone'); // a deleted run: its head is a delete marker, its page is garbage
    const jsm = await jetstreamManager(await client(nats.url));
    const messages = async () => (await jsm.streams.info(`KV_${a.gateway.topo.runsBucket}`)).state.messages;
    const pages = Math.ceil(200 / PAGE_SIZE);
    expect(await messages()).toBe(1 + pages + 3);
    expect(await a.table.sweepPages()).toEqual({ pages: pages + 2, deleted: 0, unreadableHeads: 0 }); // too young: may belong to a head being written
    expect(await a.table.sweepPages(Date.now() + ORPHAN_PAGE_MIN_AGE_MS)).toEqual({ pages: pages + 2, deleted: 2, unreadableHeads: 0 });
    expect(await messages()).toBe(1 + pages + 1); // the delete marker stays
    expect(await a.gateway.getRunText(orphan)).toBeUndefined();
    const back = await a.table.readStored('r-sweep');
    expect(back?.view.tasks.map((t) => t.id)).toEqual(run.view.tasks.map((t) => t.id));
  });
});

describe('work delivery limits', () => {
  it('work nakked on every delivery fails its attempt after MaxDeliver, read back from the stream by sequence', async () => {
    const nats = cleanup.use(await startNats({ mode: 'local' }));
    const c = await coordinatorParts(nats.url, { SHOAL_WORK_MAX_DELIVER: '3', SHOAL_WORK_ACK_WAIT_MS: '1000' });
    const topo = c.gateway.topo;
    await c.gateway.ensureWorkConsumer('n1');
    const failed: Array<{ task: TaskDispatched; deliveries: number }> = [];
    await c.gateway.consumeUndeliverable(async (task, deliveries) => {
      failed.push({ task, deliveries });
    });
    const nc = await client(nats.url);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.consumers.info(topo.workStream, 'node-n1')).config).toMatchObject({ max_deliver: 3, ack_wait: 1_000_000_000 });
    await c.gateway.publishWork(work('n1', 'r-nak', 't-nak', 2), context.active());
    const consumer = await jetstream(nc).consumers.get(topo.workStream, 'node-n1');
    let deliveries = 0;
    const messages = await consumer.consume({ max_messages: 8 });
    cleanup.add(() => messages.stop());
    void (async () => {
      for await (const m of messages) {
        deliveries += 1;
        m.nak();
      }
    })();
    await waitFor(() => failed.length === 1, { what: 'the undeliverable attempt handed to the coordinator', timeoutMs: 20_000 });
    expect(failed[0]).toMatchObject({ deliveries: 3, task: { runId: 'r-nak', taskId: 't-nak', attempt: 2, nodeId: 'n1' } });
    expect(deliveries).toBe(3);
    await waitFor(async () => (await jsm.streams.info(topo.workStream)).state.messages === 0, { what: 'the dead work message deleted', timeoutMs: 10_000 });
    await waitFor(async () => (await jsm.consumers.info(topo.undeliverableStream, 'coordinator')).num_ack_pending === 0, { what: 'the advisory acked', timeoutMs: 10_000 });
  });

  it("a node-agent's ensureConsumer without maxDeliver keeps the coordinator's limit", async () => {
    const nats = cleanup.use(await startNats({ mode: 'local' }));
    const c = await coordinatorParts(nats.url, { SHOAL_WORK_MAX_DELIVER: '7' });
    await c.gateway.ensureWorkConsumer('n2');
    const nc = await client(nats.url);
    const jsm = await jetstreamManager(nc);
    await ensureConsumer(jsm, c.gateway.topo.workStream, 'node-n2', c.gateway.topo.work('n2'), 60_000);
    expect((await jsm.consumers.info(c.gateway.topo.workStream, 'node-n2')).config.max_deliver).toBe(7);
  });
});

describe('R3 on a 3-server cluster', () => {
  it('streams and buckets get 3 replicas; without quorum a run write fails loudly in bounded time, and is stored once quorum is back', async () => {
    const cluster = cleanup.use(await startNatsCluster(3));
    const nc = await client(cluster.urls);
    const jsm = await jetstreamManager(nc);
    const ns = `r3${randomUUID().slice(0, 8)}`;
    const topo = topology(ns);
    const streams = [topo.workStream, topo.statusStream, topo.undeliverableStream, `KV_${topo.runsBucket}`, `KV_${topo.nodesBucket}`, `KV_${topo.cacheBucket}`];
    const replicas = async () => Promise.all(streams.map(async (s) => [s, (await jsm.streams.info(s)).config.num_replicas]));
    await ensureTopology(nc, topo, { replicas: 1 }); // an installation that ran R1 so far
    expect(await replicas()).toEqual(streams.map((s) => [s, 1]));
    const c = await coordinatorParts(cluster.urls, { SHOAL_NS: ns, SHOAL_NATS_REPLICAS: '3', SHOAL_STATE_WRITE_DEADLINE_MS: '3000' });
    expect(await replicas()).toEqual(streams.map((s) => [s, 3]));
    await ensureTopology(nc, topo); // a node-agent on an anonymous bus states no replicas: nothing is lowered
    expect(await replicas()).toEqual(streams.map((s) => [s, 3]));
    const run = activeRun('r-q');
    // right after R1 -> R3 the bucket's new replicas catch up; on a loaded machine its first write can time out
    await waitFor(() => c.gateway.putRun('probe.r3', { at: Date.now() }).then(() => true, () => false), { what: 'the R3 bucket to take a write', timeoutMs: 60_000 });
    await c.table.create(run);
    // one server lost: writes go on
    await cluster.servers[2]!.kill();
    run.view.state = 'failed';
    await waitFor(() => c.table.persist('r-q').then(() => true, () => false), { what: 'a write with one server lost', timeoutMs: 30_000 });
    // two lost: no quorum
    const lost = cluster.servers[1]!;
    await lost.kill();
    (run.view as unknown as { n: number }).n = 2;
    const t0 = Date.now();
    await expect(c.table.persist('r-q')).rejects.toMatchObject({ code: 'E_TRANSPORT', message: expect.stringContaining('could not store run r-q') });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(2500);
    expect(took).toBeLessThan(10_000);
    expect(c.table.isDirty('r-q')).toBe(true);
    await lost.restart();
    await cluster.servers[2]!.restart();
    await waitFor(() => c.table.persist('r-q').then(() => true, () => false), { what: 'the dirty run stored once quorum is back', timeoutMs: 60_000 });
    await waitFor(async () => (await c.gateway.getRun<{ n?: number }>('run.r-q'))?.n === 2, { what: 'the stored view', timeoutMs: 10_000 });
  });
});
