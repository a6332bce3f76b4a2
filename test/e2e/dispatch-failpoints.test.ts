import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PROTOCOL_VERSION, type RunView, decode, encode, topology } from '@shoal/protocol';
import { ensureConsumer } from '@shoal/runtime';
import { assembleRun } from '../../apps/coordinator/src/run-store/run-pages.js';
import { Disposables, freePort, type SpawnedProcess, spawnProcess, startNats, startNatsCluster, waitFor } from '@shoal/testing';

/**
 * Crash-safe dispatch, proven with the coordinator's test-only failpoints (SHOAL_FAILPOINTS) on
 * the built coordinator: killed between storing `dispatched` and publishing, then between
 * publishing and anything else, a restarted coordinator publishes the attempt again (same
 * Nats-Msg-Id, deduplicated) and the run completes. Also: POST /runs answers 503 with the reason
 * when JetStream has lost quorum, and nothing of the run is left.
 */
const ROOT = join(import.meta.dirname, '../..');
const cleanup = new Disposables();
afterEach(() => cleanup.disposeAll());

const PLAN = `
name: fp
teams: [{ name: ops }]
phases:
  - id: only
    tasks:
      - { id: t1, team: ops, role: Ops-T, command: ["true"], resources: { cpu: 5, memory: 256 } }
`;

async function client(servers: string | string[]): Promise<NatsConnection> {
  const nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  cleanup.add(() => nc.close());
  return nc;
}

/** A node that only heartbeats (no node-agent): enough for the coordinator to place work on it. */
function fakeNode(nc: NatsConnection, ns: string, nodeId: string): void {
  const topo = topology(ns);
  const startedAt = Date.now();
  const beat = () =>
    nc.publish(
      topo.heartbeat(nodeId),
      encode('heartbeat', {
        v: PROTOCOL_VERSION,
        kind: 'node.heartbeat',
        nodeId,
        hostname: 'fake',
        sentAt: Date.now(),
        startedAt,
        pulseMs: 500,
        labels: {},
        governor: 'fallback',
        capacity: { cpuPercent: 400, memoryMb: 8192, maxTasks: 8 },
        host: { cpuPercent: 1, memUsedMb: 100, memTotalMb: 8192, load1: 0, cores: 4 },
        running: [],
      }),
    );
  beat();
  const timer = setInterval(beat, 500);
  cleanup.add(() => clearInterval(timer));
}

async function coordinator(env: Record<string, string>): Promise<{ proc: SpawnedProcess; api: string }> {
  const port = await freePort();
  const proc = spawnProcess([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], {
    name: 'coordinator',
    env: { ...process.env, SHOAL_INSECURE: '1', HOST: '127.0.0.1', PORT: String(port), SHOAL_RETRY_BASE_MS: '100', ...env },
  });
  cleanup.add(() => proc.stop('SIGKILL', 5000));
  await proc.waitForLine(/listening on/, 60_000);
  return { proc, api: `http://127.0.0.1:${port}` };
}

/** The run as the coordinator stored it: its head `run.<id>` and the pages of tasks it names. */
async function storedRun(nc: NatsConnection, ns: string, runId: string): Promise<RunView | undefined> {
  const kv = await new Kvm(nc).open(topology(ns).runsBucket);
  const e = await kv.get(`run.${runId}`);
  return e?.operation === 'PUT' ? assembleRun(e.json(), async (k) => (await kv.get(k))?.string()) : undefined;
}

const died = (p: SpawnedProcess) => p.exitStatus() !== undefined;

describe('crash-safe dispatch (failpoints)', () => {
  it('killed after storing dispatched and again after publishing: the attempt is published once and the run completes', async () => {
    const nats = cleanup.use(await startNats({ mode: 'local' }));
    const ns = `fp${Date.now().toString(36)}`;
    const nc = await client(nats.url);
    const topo = topology(ns);
    const env = { NATS_URL: nats.url, SHOAL_NS: ns };
    fakeNode(nc, ns, 'fp1');

    // 1: dies right after the dispatched transition is stored, before the publish
    const a = await coordinator({ ...env, SHOAL_FAILPOINTS: 'after-dispatch-persist' });
    const res = await fetch(`${a.api}/runs`, { method: 'POST', body: PLAN, headers: { 'content-type': 'application/yaml' } });
    const accepted = (await res.json()) as RunView;
    expect([res.status, accepted]).toEqual([201, expect.objectContaining({ id: expect.any(String) })]);
    const runId = accepted.id;
    await waitFor(() => died(a.proc), { what: 'coordinator A killed at after-dispatch-persist', timeoutMs: 30_000 });
    expect(a.proc.stderr.join('\n')).toContain('shoal failpoint after-dispatch-persist fired');
    expect((await storedRun(nc, ns, runId))?.tasks[0]).toMatchObject({ id: 't1', state: 'dispatched', attempt: 1, nodeId: 'fp1' });
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(topo.workStream)).state.messages).toBe(0);

    // 2: recovers, publishes the stored attempt again, dies right after the publish
    const b = await coordinator({ ...env, SHOAL_FAILPOINTS: 'after-publish' });
    await waitFor(() => died(b.proc), { what: 'coordinator B killed at after-publish', timeoutMs: 30_000 });
    expect(b.proc.stderr.join('\n')).toContain('shoal failpoint after-publish fired');
    expect((await jsm.streams.info(topo.workStream)).state.messages).toBe(1);

    // 3: recovers and publishes again: deduplicated by Nats-Msg-Id, still one message
    const c = await coordinator(env);
    await waitFor(async () => (await fetch(`${c.api}/runs/${runId}`)).ok, { what: 'run recovered by C', timeoutMs: 30_000 });
    await waitFor(async () => (await jsm.streams.info(topo.workStream)).state.last_seq >= 1, { what: 'work stream', timeoutMs: 5000 });
    const msg = await jsm.streams.getMessage(topo.workStream, { seq: 1 });
    expect(msg.header.get('Nats-Msg-Id')).toBe(`${runId}.t1.1`);
    const work = decode('work', msg.data);
    expect(work.ok && work.value).toMatchObject({ runId, taskId: 't1', attempt: 1, nodeId: 'fp1' });
    expect((await jsm.streams.info(topo.workStream)).state.messages).toBe(1);

    // the node runs it: started, then succeeded
    const js = jetstream(nc);
    const base = { v: PROTOCOL_VERSION, runId, taskId: 't1', attempt: 1, nodeId: 'fp1' };
    const now = Date.now();
    await js.publish(topo.status('fp1'), encode('status', { ...base, kind: 'task.started', startedAt: now, session: 'fake', window: 't1' } as never));
    await js.publish(topo.status('fp1'), encode('status', { ...base, kind: 'task.finished', outcome: 'succeeded', exitCode: 0, startedAt: now, finishedAt: now + 1, outputTail: '' } as never));
    await waitFor(async () => (await storedRun(nc, ns, runId))?.state === 'succeeded', { what: 'run succeeded and stored', timeoutMs: 30_000 });
    const final = (await storedRun(nc, ns, runId))!;
    expect(final.tasks[0]).toMatchObject({ state: 'succeeded', attempt: 1 });
  });
});

describe('ack after store (failpoint after-status-store)', () => {
  it('killed after a result is stored but before its ack: the redelivered report changes nothing and is acked', async () => {
    const nats = cleanup.use(await startNats({ mode: 'local' }));
    const ns = `fs${Date.now().toString(36)}`;
    const nc = await client(nats.url);
    const topo = topology(ns);
    const env = { NATS_URL: nats.url, SHOAL_NS: ns };
    fakeNode(nc, ns, 'fs1');
    const a = await coordinator({ ...env, SHOAL_FAILPOINTS: 'after-status-store@2' });
    const res = await fetch(`${a.api}/runs`, { method: 'POST', body: PLAN, headers: { 'content-type': 'application/yaml' } });
    const runId = ((await res.json()) as RunView).id;
    const jsm = await jetstreamManager(nc);
    await waitFor(async () => (await jsm.streams.info(topo.workStream)).state.messages === 1, { what: 'work published', timeoutMs: 30_000 });
    const js = jetstream(nc);
    const base = { v: PROTOCOL_VERSION, runId, taskId: 't1', attempt: 1, nodeId: 'fs1' };
    const now = Date.now();
    const started = await js.publish(topo.status('fs1'), encode('status', { ...base, kind: 'task.started', startedAt: now, session: 'fake', window: 't1' } as never));
    // the first report acked before the second is sent: stored together, the first one's ack could still sit in the client's buffer at the kill
    await waitFor(async () => (await jsm.consumers.info(topo.statusStream, 'coordinator')).ack_floor.stream_seq >= started.seq, { what: 'task.started acked', timeoutMs: 30_000 });
    await js.publish(topo.status('fs1'), encode('status', { ...base, kind: 'task.finished', outcome: 'succeeded', exitCode: 0, startedAt: now, finishedAt: now + 1, outputTail: '' } as never));
    await waitFor(() => died(a.proc), { what: 'coordinator killed at after-status-store', timeoutMs: 30_000 });
    expect(a.proc.stderr.join('\n')).toContain('shoal failpoint after-status-store fired (exit, hit 2)');
    const kv = await new Kvm(nc).open(topo.runsBucket);
    const before = (await kv.get(`run.${runId}`))!;
    expect((before.json() as RunView).state).toBe('succeeded'); // the head: the run without its tasks
    expect((await jsm.consumers.info(topo.statusStream, 'coordinator')).num_ack_pending).toBe(1);

    await coordinator(env);
    await waitFor(async () => (await jsm.consumers.info(topo.statusStream, 'coordinator')).num_ack_pending === 0, { what: 'the redelivered report acked', timeoutMs: 60_000 });
    const after = (await kv.get(`run.${runId}`))!;
    expect(after.revision).toBe(before.revision);
    expect((await storedRun(nc, ns, runId))!.tasks[0]).toMatchObject({ state: 'succeeded', attempt: 1 });
  });
});

describe('work delivery limits', () => {
  it('work a node naks on every delivery fails its attempt after MaxDeliver, with the reason, and the task retries', async () => {
    const nats = cleanup.use(await startNats({ mode: 'local' }));
    const ns = `md${Date.now().toString(36)}`;
    const nc = await client(nats.url);
    const topo = topology(ns);
    fakeNode(nc, ns, 'md1');
    const c = await coordinator({ NATS_URL: nats.url, SHOAL_NS: ns });
    // on an anonymous bus the node creates its consumer: here with MaxDeliver 2 and a 1 s ack wait
    const jsm = await jetstreamManager(nc);
    await ensureConsumer(jsm, topo.workStream, topo.nodeConsumer('md1'), topo.work('md1'), 1000, 2);
    const consumer = await jetstream(nc).consumers.get(topo.workStream, topo.nodeConsumer('md1'));
    const seen: string[] = [];
    const messages = await consumer.consume({ max_messages: 8 });
    cleanup.add(() => messages.stop());
    void (async () => {
      for await (const m of messages) {
        const d = decode('work', m.data);
        if (d.ok) seen.push(`${d.value.taskId}#${d.value.attempt}`);
        m.nak();
      }
    })();
    const plan = PLAN.replace('resources:', 'retries: 1, resources:');
    const res = await fetch(`${c.api}/runs`, { method: 'POST', body: plan, headers: { 'content-type': 'application/yaml' } });
    const runId = ((await res.json()) as RunView).id;
    await waitFor(() => seen.includes('t1#2'), { what: 'attempt 2 published after attempt 1 was undeliverable', timeoutMs: 60_000 });
    // attempt 2 meets the same node: the task ends failed with the reason, never in limbo
    const final = await waitFor(
      async () => {
        const v = (await (await fetch(`${c.api}/runs/${runId}`)).json()) as RunView;
        return v.state === 'failed' ? v : undefined;
      },
      { what: 'the run failed', timeoutMs: 60_000 },
    );
    expect(final.tasks[0]).toMatchObject({ state: 'failed', attempt: 2, reason: 'work undeliverable after 2 deliveries' });
    expect(seen.filter((x) => x === 't1#1')).toHaveLength(2);
    expect(c.proc.stdout.concat(c.proc.stderr).join('\n')).toMatch(/t1 attempt 1 undeliverable: consumer node-md1 gave up after 2 deliveries/);
    const metrics = await (await fetch(`${c.api}/metrics`)).text();
    expect(metrics).toMatch(/^shoal_work_undeliverable_total 2$/m);
    await waitFor(async () => (await jsm.streams.info(topo.workStream)).state.messages === 0, { what: 'dead work messages deleted', timeoutMs: 10_000 });
  });
});

describe('quorum lost', () => {
  it('POST /runs answers 503 with the reason and leaves nothing behind; works again with quorum', async () => {
    const cluster = cleanup.use(await startNatsCluster(3));
    const ns = `q${Date.now().toString(36)}`;
    const c = await coordinator({ NATS_URL: cluster.urls.join(','), SHOAL_NS: ns, SHOAL_NATS_REPLICAS: '3', SHOAL_STATE_WRITE_DEADLINE_MS: '3000' });
    const nc = await client(cluster.urls);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(`KV_${topology(ns).runsBucket}`)).config.num_replicas).toBe(3);
    await cluster.servers[1]!.kill();
    await cluster.servers[2]!.kill();
    const t0 = Date.now();
    const res = await fetch(`${c.api}/runs`, { method: 'POST', body: PLAN, headers: { 'content-type': 'application/yaml' }, signal: AbortSignal.timeout(60_000) });
    const body = (await res.json()) as { error: string; message: string };
    expect([res.status, body]).toEqual([503, expect.objectContaining({ message: expect.any(String) })]);
    // a standby that lost its lease may refuse as not leader (also 503); the leader says the store did not take it
    if (body.error !== 'E_NOT_LEADER') expect(body).toMatchObject({ error: 'E_TRANSPORT', message: expect.stringMatching(/^run fp-\w+ not accepted: the state store did not take it: could not store/) });
    expect(res.headers.get('retry-after')).toBe('5');
    expect(Date.now() - t0).toBeLessThan(30_000);
    const runs = (await (await fetch(`${c.api}/runs`)).json()) as unknown[];
    expect(runs).toEqual([]);
    await cluster.servers[1]!.restart();
    await cluster.servers[2]!.restart();
    await waitFor(
      async () => (await fetch(`${c.api}/runs`, { method: 'POST', body: PLAN, headers: { 'content-type': 'application/yaml' }, signal: AbortSignal.timeout(30_000) })).status < 300,
      { what: 'a submission accepted with quorum back', timeoutMs: 90_000 },
    );
  });
});
