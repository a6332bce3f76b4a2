/**
 * In-progress acks against a real nats-server: a work message whose start takes longer than the
 * consumer's AckWait is not redelivered while the node sends `+WPI` every third of it
 * (keepWorking, as ExecutorService.accept does), and is redelivered without them.
 */
import { randomUUID } from 'node:crypto';
import { AckPolicy, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Disposables, startNats, waitFor } from '@shoal/testing';
import { keepWorking } from '../../apps/node-agent/src/claim/index.js';

const cleanup = new Disposables();
afterEach(() => cleanup.disposeAll(), 60_000);

const ACK_WAIT_MS = 1000;

/** Delivers one message to a consumer with a 1 s AckWait; `handle` gets each delivery. */
async function deliver(handle: (m: JsMsg, delivery: number) => Promise<void>): Promise<{ deliveries: () => number }> {
  const nats = await startNats({ mode: 'local' });
  cleanup.add(() => nats.stop());
  const nc = await connect({ servers: nats.url });
  cleanup.add(() => nc.close());
  const stream = `wpi${randomUUID().slice(0, 8)}`;
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${stream}.work`] });
  await jsm.consumers.add(stream, { durable_name: 'node', ack_policy: AckPolicy.Explicit, ack_wait: ACK_WAIT_MS * 1_000_000 });
  const js = jetstream(nc);
  await js.publish(`${stream}.work`, 'start it');
  const consumer = await js.consumers.get(stream, 'node');
  const messages = await consumer.consume({ max_messages: 10 });
  cleanup.add(() => messages.stop());
  let n = 0;
  void (async () => {
    for await (const m of messages) void handle(m, ++n);
  })();
  return { deliveries: () => n };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('in-progress acks (+WPI)', () => {
  it('keep a start that takes three AckWaits from being redelivered', async () => {
    let acked = 0;
    const { deliveries } = await deliver(async (m) => {
      const stop = keepWorking(m, ACK_WAIT_MS / 3);
      await sleep(3 * ACK_WAIT_MS);
      stop();
      m.ack();
      acked += 1;
    });
    await waitFor(() => acked === 1, { timeoutMs: 20_000, what: 'the slow start to ack' });
    await sleep(2 * ACK_WAIT_MS);
    expect(deliveries()).toBe(1);
  }, 60_000);

  it('without them the same slow start is delivered again after the AckWait', async () => {
    const { deliveries } = await deliver(async (m, n) => {
      if (n > 1) return m.ack();
      await sleep(3 * ACK_WAIT_MS);
      m.ack();
    });
    await waitFor(() => deliveries() >= 2, { timeoutMs: 20_000, what: 'a redelivery' });
  }, 60_000);
});
