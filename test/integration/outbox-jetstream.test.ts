/**
 * The node-agent's report outbox against a real nats-server (JetStream, msg-id dedupe): every
 * report stored once and in order, through a server killed and restarted on the same port and
 * store; and what a report costs (fsynced write) and how fast the outbox drains.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PROTOCOL_VERSION, type TaskStatus, decode, encode, topology } from '@shoal/protocol';
import { ensureTopology } from '@shoal/runtime';
import { Disposables, type NatsServerHandle, startNats, tempDir, waitFor } from '@shoal/testing';
import { ReportOutbox, reportMsgId } from '../../apps/node-agent/src/outbox/index.js';

const cleanup = new Disposables();
afterEach(() => cleanup.disposeAll(), 60_000);

const NODE = 'node-ox';

function finished(i: number): TaskStatus {
  return { v: PROTOCOL_VERSION, kind: 'task.finished', runId: 'run-ox', taskId: `t${i}`, attempt: 1, nodeId: NODE, outcome: 'succeeded', exitCode: 0, finishedAt: 1_700_000_000_000 + i, outputTail: 'x'.repeat(2048) };
}

async function setup(): Promise<{ nats: NatsServerHandle; nc: NatsConnection; outbox: ReportOutbox; dir: string; ns: string }> {
  const nats = await startNats({ mode: 'local' });
  cleanup.add(() => nats.stop());
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  cleanup.add(() => nc.close());
  const ns = `ox${randomUUID().slice(0, 8)}`;
  const topo = topology(ns);
  await ensureTopology(nc, topo);
  const js = jetstream(nc);
  const d = tempDir();
  cleanup.add(() => d.dispose());
  const outbox = new ReportOutbox({
    dir: join(d.path, 'outbox'),
    publish: async (s) => ({ duplicate: (await js.publish(topo.status(NODE), encode('status', s), { msgID: reportMsgId(s), timeout: 2000 })).duplicate }),
    now: Date.now,
    log: () => undefined,
    warn: () => undefined,
    error: (m) => console.error(m),
  });
  cleanup.add(() => outbox.stop());
  (async () => {
    for await (const s of nc.status()) if (s.type === 'reconnect') outbox.kick();
  })().catch(() => undefined);
  await outbox.open();
  return { nats, nc, outbox, dir: d.path, ns };
}

/** The task ids of the finished reports stored in the status stream, in stream order. */
async function stored(nc: NatsConnection, ns: string): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const stream = topology(ns).statusStream;
  const { state } = await jsm.streams.info(stream);
  const ids: string[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    const d = decode('status', m.data);
    if (d.ok) ids.push(d.value.taskId);
  }
  return ids;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

describe('report outbox on JetStream', () => {
  it('stores every report once and in order through a nats-server killed and restarted on the same port and store', async () => {
    const { nats, nc, outbox, dir, ns } = await setup();
    outbox.start();
    for (let i = 0; i < 20; i++) await outbox.put(finished(i));
    await waitFor(() => outbox.depth === 0, { timeoutMs: 20_000, what: 'the first 20 reports delivered' });
    await nats.kill('SIGKILL');
    for (let i = 20; i < 60; i++) expect(await outbox.put(finished(i))).toBe('durable');
    await waitFor(() => outbox.depth === 40, { timeoutMs: 5000, what: '40 reports waiting' });
    expect(readdirSync(join(dir, 'outbox')).filter((n) => n.endsWith('.json'))).toHaveLength(40);
    await nats.restart();
    await waitFor(() => outbox.depth === 0, { timeoutMs: 60_000, what: 'the outbox to drain after the restart' });
    expect(await stored(nc, ns)).toEqual(Array.from({ length: 60 }, (_, i) => `t${i}`));
    expect(outbox.counters).toMatchObject({ delivered: 60, quarantined: 0, memoryOnly: 0 });
  }, 120_000);

  it('figures: an fsynced put, and the drain rate of 1000 reports of 2 KB', async () => {
    const { nc, outbox, ns } = await setup();
    const putMs: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = performance.now();
      await outbox.put(finished(i));
      putMs.push(performance.now() - t);
    }
    const t0 = performance.now();
    outbox.start();
    await waitFor(() => outbox.depth === 0, { timeoutMs: 120_000, intervalMs: 10, what: '1000 reports delivered' });
    const drainMs = performance.now() - t0;
    console.info(`outbox figures: put (write+fsync+rename+dir fsync) p50 ${pct(putMs, 50).toFixed(2)} ms, p99 ${pct(putMs, 99).toFixed(2)} ms; drain of 1000 reports ${Math.round(drainMs)} ms (${Math.round(1000 / (drainMs / 1000))}/s)`);
    expect(await stored(nc, ns)).toHaveLength(1000);
  }, 180_000);
});
