import { compilePlan } from '@shoal/scheduler';
import { parsePlanText } from '@shoal/protocol';
import { Estimates } from './estimates.service.js';
import type { NatsGateway } from './nats.gateway.js';

/** The runs bucket's `estimates` document, with reads that fail while `readsFail` is set. */
class FakeBucket {
  doc: unknown;
  readsFail = false;
  writes = 0;
  async getRun() {
    if (this.readsFail) throw new Error('TIMEOUT');
    return this.doc;
  }
  async putRun(_key: string, value: unknown) {
    this.writes += 1;
    this.doc = JSON.parse(JSON.stringify(value));
    return this.writes;
  }
}

const TASK = (() => {
  const parsed = parsePlanText('name: e\nteams: [{ name: ops }]\nphases:\n  - id: p\n    tasks:\n      - { id: t, team: ops, role: Ops-New, command: ["true"] }\n');
  if (!parsed.ok) throw new Error('plan');
  const compiled = compilePlan(parsed.value);
  if (!compiled.ok) throw new Error('compile');
  return compiled.value.tasks.get('t')!;
})();

describe('Estimates: what earlier coordinators learned is never overwritten', () => {
  it('a coordinator that could not read the stored estimates stores nothing until it can, then keeps both', async () => {
    const bucket = new FakeBucket();
    bucket.doc = { 'ops/Ops-Old/true': { samples: 3, ewmaMs: 1200 } };
    bucket.readsFail = true;
    const estimates = new Estimates(bucket as unknown as NatsGateway);
    expect(await estimates.load()).toBe(false);
    estimates.observe(TASK, 1_000, 1_500);
    await estimates.onModuleDestroy(); // stores at once, as at shutdown: it cannot read, so it must not write
    expect(bucket.writes).toBe(0);

    bucket.readsFail = false;
    const next = new Estimates(bucket as unknown as NatsGateway);
    expect(await next.load()).toBe(true);
    next.observe(TASK, 1_000, 1_500);
    await next.onModuleDestroy();
    expect(bucket.writes).toBe(1);
    expect(bucket.doc).toMatchObject({ 'ops/Ops-Old/true': { samples: 3 }, 'ops/Ops-New/true': { samples: 1 } });
  });

  it('a failed first read is tried again before the next store, and what was learned meanwhile is kept over the stored value', async () => {
    const bucket = new FakeBucket();
    bucket.doc = { 'ops/Ops-Old/true': { samples: 3, ewmaMs: 1200 }, 'ops/Ops-New/true': { samples: 9, ewmaMs: 9000 } };
    bucket.readsFail = true;
    const estimates = new Estimates(bucket as unknown as NatsGateway);
    await estimates.load();
    estimates.observe(TASK, 1_000, 1_500);
    bucket.readsFail = false;
    await estimates.onModuleDestroy();
    expect(bucket.doc).toMatchObject({ 'ops/Ops-Old/true': { samples: 3 }, 'ops/Ops-New/true': { samples: 1, ewmaMs: 500 } });
  });
});
