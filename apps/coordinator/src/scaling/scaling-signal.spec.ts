import type { TaskView } from '@shoal/protocol';
import { loadCoordinatorConfig } from '../config.js';
import type { Estimates } from '../estimates.service.js';
import { Metrics } from '../metrics.js';
import type { NatsGateway } from '../nats.gateway.js';
import type { NodeRegistry } from '../node-registry.js';
import type { Orchestrator } from '../orchestrator.js';
import type { RunTable } from '../run-table.js';
import { SIGNAL_SAMPLE, Scaling } from './scaling.service.js';

const NOT_ROOM = 'no node with label gpu=yes';

/** A Scaling over one run of `n` queued tasks: `reason(i)` and `expected(i)` per task. */
function scalingOver(n: number, reason: (i: number) => string | undefined, expected: (i: number) => number) {
  const tasks = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, state: 'queued', waitingReason: reason(i) }) as TaskView);
  const specs = new Map(tasks.map((t, i) => [t.id, { i }]));
  const table = { all: () => [{ view: { tasks }, plan: { tasks: specs } }], committed: () => new Map() } as unknown as RunTable;
  const estimates = { expectedMs: (spec: { i: number }) => expected(spec.i) } as unknown as Estimates;
  const orchestrator = { placer: { stats: () => ({ depth: n, oldestWaitMs: 0 }) } } as unknown as Orchestrator;
  const nodes = { list: () => [] } as unknown as NodeRegistry;
  const nats = { connected: false, putRun: () => Promise.resolve(0) } as unknown as NatsGateway;
  const metrics = new Metrics();
  const scaling = new Scaling(loadCoordinatorConfig({ SHOAL_INSECURE: '1' }), nats, nodes, table, orchestrator, estimates, metrics);
  scaling.mayAct = () => false;
  return { scaling, metrics };
}

describe('Scaling signal', () => {

  it('counts every queued task of a queue up to the sample: tasks without a reason or waiting for room, the mean expected run time', async () => {
    const { scaling, metrics } = scalingOver(5, (i) => [undefined, NOT_ROOM, 'no node has room: 2 busy', NOT_ROOM, undefined][i], (i) => (i + 1) * 1000);
    const d = scaling.decide();
    expect(scaling.view().signal).toMatchObject({ queueDepth: 5, waitingForRoom: 3, expectedTaskMs: 3000 });
    expect(d.expectedTaskMs).toBe(3000);
    await metrics.onModuleDestroy();
  });

  it('past the sample, the first SIGNAL_SAMPLE queued tasks stand for the rest', async () => {
    const n = SIGNAL_SAMPLE * 3;
    // room for every other task, and 1 s expected in the sample but 100 s beyond it (not looked at)
    const { scaling, metrics } = scalingOver(n, (i) => (i % 2 ? NOT_ROOM : undefined), (i) => (i < SIGNAL_SAMPLE ? 1000 : 100_000));
    scaling.decide();
    expect(scaling.view().signal).toMatchObject({ queueDepth: n, waitingForRoom: n / 2, expectedTaskMs: 1000 });
    await metrics.onModuleDestroy();
  });
});
