import type { JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Logger } from '@nestjs/common';
import { type TaskDispatched, type Topology, decode, decodeMaxDeliveriesAdvisory } from '@shoal/protocol';
import type { Metrics } from './metrics.js';

/** Fails the attempt of a work message JetStream gave up delivering. */
export type UndeliverableHandler = (task: TaskDispatched, deliveries: number) => Promise<void>;

/** What handling one max-deliveries advisory needs. */
export interface UndeliverableDeps {
  topo: Pick<Topology, 'workStream'>;
  manager: JetStreamManager;
  metrics: Pick<Metrics, 'malformed'>;
  log: Pick<Logger, 'error' | 'warn'>;
}

const NOT_FOUND = /no message found|not found/i;

/**
 * Handles one max-deliveries advisory of a work consumer: the work message JetStream gave up on is
 * read back by its sequence and decoded, `handler` fails that attempt, then the message is deleted
 * from the work stream and the advisory acked. An advisory of another stream, or malformed, is
 * terminated; a malformed work message is only deleted; a message already gone is no error; a
 * handler that throws gets the advisory again (nak, 1 s).
 */
export async function handleUndeliverable(m: JsMsg, handler: UndeliverableHandler, deps: UndeliverableDeps): Promise<void> {
  const { topo, manager, metrics, log } = deps;
  const a = decodeMaxDeliveriesAdvisory(m.data);
  if (!a.ok || a.value.stream !== topo.workStream) {
    metrics.malformed('max-deliveries-advisory');
    log.warn(`dropped advisory on ${m.subject}: ${a.ok ? `stream ${a.value.stream} is not ${topo.workStream}` : a.error.message}`);
    m.term();
    return;
  }
  const { stream_seq: seq, deliveries, consumer } = a.value;
  try {
    const stored = await manager.streams.getMessage(topo.workStream, { seq }).catch((e: Error) => {
      if (NOT_FOUND.test(e.message)) return null;
      throw e;
    });
    const d = stored ? decode('work', stored.data) : undefined;
    if (d?.ok) {
      log.error(`work ${d.value.runId}/${d.value.taskId} attempt ${d.value.attempt} undeliverable: consumer ${consumer} gave up after ${deliveries} deliveries`);
      await handler(d.value, deliveries);
    } else if (d) {
      metrics.malformed('work-undeliverable');
      log.warn(`undeliverable work message ${seq} on consumer ${consumer} is malformed, deleted: ${d.error.message}`);
    }
    if (stored) await manager.streams.deleteMessage(topo.workStream, seq, false).catch((e: Error) => {
      if (!NOT_FOUND.test(e.message)) throw e;
    });
    m.ack();
  } catch (e) {
    log.error(`undeliverable work message ${seq} (consumer ${consumer}) not handled yet, retried: ${(e as Error).message}`);
    m.nak(1000);
  }
}
