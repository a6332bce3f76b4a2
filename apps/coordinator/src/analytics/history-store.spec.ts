import { TransportError } from '@shoal/protocol';
import type { CoordinatorConfig } from '../config.js';
import type { NatsGateway } from '../nats.gateway.js';
import { HistoryStore, messageId } from './history-store.js';

const sample = (at: number) => ({ type: 'node' as const, nodeId: 'n1', at, cpuPercent: 1, memUsedMb: 1, memTotalMb: 2, running: 0 });

describe('HistoryStore without a bus', () => {
  const saved = process.env.SHOAL_HISTORY_BUFFER;
  afterAll(() => (saved === undefined ? delete process.env.SHOAL_HISTORY_BUFFER : (process.env.SHOAL_HISTORY_BUFFER = saved)));

  it('takes records at once, keeps the newest within its buffer and counts what it dropped', async () => {
    process.env.SHOAL_HISTORY_BUFFER = '10';
    const down = {
      connected: false,
      get connection(): never {
        throw new TransportError('not connected to NATS');
      },
    } as unknown as NatsGateway;
    const store = new HistoryStore({ namespace: 't', natsReplicas: 1 } as CoordinatorConfig, down);
    for (let i = 0; i < 25; i++) expect(() => store.append(sample(i))).not.toThrow();
    store.append({ ...sample(99), cpuPercent: 500 }); // invalid: dropped, never thrown
    await store.flush(); // fails (no bus): the records stay buffered
    expect(store.counts()).toEqual({ appended: 26, published: 0, dropped: 16, buffered: 10 });
    await expect(store.read(0)).rejects.toThrow(/not connected/);
    await store.onModuleDestroy();
  });

  it('names each record for deduplication', () => {
    expect(messageId(sample(5))).toBe('node.n1.5');
    expect(messageId({ type: 'run', runId: 'r', plan: 'p', state: 'failed', submittedAt: 1, finishedAt: 2, tasks: 0 })).toBe('run.r');
  });
});
