import { jest } from '@jest/globals';
import { PROTOCOL_VERSION, type RunView, type TaskDispatched, parsePlanText } from '@shoal/protocol';
import { RunEngine, compilePlan } from '@shoal/scheduler';
import { Breakers } from './breakers.js';
import { loadCoordinatorConfig } from './config.js';
import { Estimates } from './estimates.service.js';
import { EventBus } from './event-bus.js';
import { Metrics } from './metrics.js';
import type { NatsGateway } from './nats.gateway.js';
import { NodeRegistry } from './node-registry.js';
import { Orchestrator } from './orchestrator.js';
import { waitingReasonsEveryMs } from './waiting-reasons.js';
import { ResultCache } from './result-cache.js';
import { type ActiveRun, RunTable } from './run-table.js';
import { RunTracer } from './run-tracer.js';

const PLAN = `
name: disp
teams: [{ name: ops }]
phases:
  - id: only
    tasks:
      - { id: t1, team: ops, role: Ops-T, command: ["true"], resources: { cpu: 5, memory: 256 } }
`;

/** The orchestrator's NATS side: a CAS runs bucket (failures switchable) and a work publisher. */
class FakeNats {
  docs = new Map<string, { text: string; revision: number }>();
  seq = 0;
  storeDown = false;
  published: Array<{ task: TaskDispatched; storedState?: string }> = [];

  /** Heads written (one per state write of a run). */
  headWrites = 0;

  async casRun(key: string, text: string, revision: number | undefined): Promise<number> {
    if (this.storeDown) throw new Error('503 no responders available');
    this.headWrites += 1;
    const cur = this.docs.get(key);
    if ((revision === undefined && cur) || (revision !== undefined && cur?.revision !== revision)) throw new Error('wrong last sequence: 1');
    this.docs.set(key, { text, revision: ++this.seq });
    return this.seq;
  }
  async getRunText(key: string) {
    return this.docs.get(key);
  }
  async putRunText(key: string, text: string): Promise<number> {
    if (this.storeDown) throw new Error('503 no responders available');
    this.docs.set(key, { text, revision: ++this.seq });
    return this.seq;
  }
  async purgeRun(key: string): Promise<void> {
    this.docs.delete(key);
  }
  async putRun(key: string, value: unknown): Promise<number> {
    if (this.storeDown) throw new Error('503 no responders available');
    this.docs.set(key, { text: JSON.stringify(value), revision: ++this.seq });
    return this.seq;
  }
  async createRun(key: string, value: unknown): Promise<number> {
    return this.casRun(key, JSON.stringify(value), undefined);
  }
  async getRunEntry(key: string) {
    const d = this.docs.get(key);
    return d ? { value: JSON.parse(d.text) as unknown, revision: d.revision } : undefined;
  }
  async getRun() {
    return undefined;
  }
  async publishWork(task: TaskDispatched): Promise<void> {
    // what the KV store says at the moment the work leaves
    this.published.push({ task, storedState: this.stored(task.runId)?.tasks.find((t) => t.id === task.taskId)?.state });
  }
  /** The run as its stored head and the pages it names say (the store's format, read back synchronously). */
  stored(runId: string): RunView | undefined {
    const d = this.docs.get(`run.${runId}`);
    if (!d) return undefined;
    const head = JSON.parse(d.text) as { pages: string[]; overlay: Array<[number, RunView['tasks'][number]]> };
    const tasks = head.pages.flatMap((k) => JSON.parse(this.docs.get(k)!.text) as RunView['tasks']);
    for (const [i, t] of head.overlay) tasks[i] = t;
    return { ...head, tasks } as unknown as RunView;
  }
}

const orchestrators: Orchestrator[] = [];
afterEach(() => {
  for (const o of orchestrators.splice(0)) o.onModuleDestroy();
});

function fixture(planText = PLAN) {
  const config = loadCoordinatorConfig({ SHOAL_INSECURE: '1', SHOAL_STATE_WRITE_DEADLINE_MS: '100' });
  const nats = new FakeNats();
  const gw = nats as unknown as NatsGateway;
  const metrics = new Metrics();
  const table = new RunTable(gw, metrics, config);
  const nodes = new NodeRegistry(config);
  nodes.heartbeat(
    {
      v: PROTOCOL_VERSION,
      kind: 'node.heartbeat',
      nodeId: 'n1',
      hostname: 'h',
      sentAt: Date.now(),
      startedAt: Date.now(),
      pulseMs: 1000,
      labels: {},
      governor: 'fallback',
      capacity: { cpuPercent: 400, memoryMb: 8192, maxTasks: 8 },
      host: { cpuPercent: 1, memUsedMb: 1, memTotalMb: 8192, load1: 0, cores: 4 },
      running: [],
    },
    Date.now(),
  );
  const bus = new EventBus();
  const orch = new Orchestrator(config, table, gw, nodes, bus, new RunTracer(), new Breakers(config, metrics), new Estimates(gw), new ResultCache(gw, metrics), metrics);
  orchestrators.push(orch);
  const parsed = parsePlanText(planText);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const compiled = compilePlan(parsed.value);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
  const newRun = (id: string): ActiveRun => {
    const engine = new RunEngine(compiled.value, { now: Date.now, backoffMs: () => 10 });
    return { view: engine.createView(id), engine, plan: compiled.value };
  };
  return { nats, table, orch, newRun, metrics, bus };
}

const until = async (cond: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('Orchestrator dispatch', () => {
  it('stores the dispatched transition before the work is published', async () => {
    const { nats, orch, newRun, table } = fixture();
    await orch.accept(newRun('r1'), PLAN);
    await until(() => nats.published.length === 1);
    expect(nats.published[0]).toMatchObject({ storedState: 'dispatched', task: { runId: 'r1', taskId: 't1', attempt: 1, nodeId: 'n1' } });
    expect(table.get('r1')!.view.tasks[0]).toMatchObject({ state: 'dispatched', attempt: 1 });
  });

  it('publishes nothing while the dispatched transition cannot be stored; queued again, same attempt, published once the store is back', async () => {
    const { nats, orch, newRun, table, metrics } = fixture();
    const run = newRun('r2');
    await orch.accept(run, PLAN);
    nats.storeDown = true;
    await until(async () => (await metrics.value('shoal_state_write_failures_total{reason="transport"}')) >= 1);
    expect(nats.published).toEqual([]);
    await until(() => run.view.tasks[0]!.state === 'queued', 10_000);
    expect(run.view.tasks[0]).toMatchObject({ state: 'queued', attempt: 1, waitingReason: expect.stringMatching(/^dispatch to n1 not stored, queued again in \d+\.\d s: /) });
    expect(orch.placer.depth()).toBe(0); // backing off: not offered to the placer until its delay is over
    nats.storeDown = false;
    await until(() => nats.published.length === 1, 30_000);
    expect(nats.published[0]).toMatchObject({ storedState: 'dispatched', task: { attempt: 1 } });
    expect(table.isDirty('r2')).toBe(false);
  });

  it('a run whose store is down at submission is refused and not kept', async () => {
    const { nats, orch, newRun, table } = fixture();
    nats.storeDown = true;
    await expect(orch.accept(newRun('r3'), PLAN)).rejects.toMatchObject({ code: 'E_TRANSPORT', message: expect.stringContaining('run r3 not accepted') });
    expect(table.get('r3')).toBeUndefined();
    expect(orch.placer.depth()).toBe(0);
    expect(nats.published).toEqual([]);
  });

  it('resume publishes an attempt stored as dispatched again, with the same attempt number', async () => {
    const { nats, orch, newRun, table } = fixture();
    const run = newRun('r4');
    run.engine.start(run.view);
    run.engine.dispatched(run.view, 't1', 1, 'n1');
    table.add(run, undefined);
    await orch.resume('r4');
    await until(() => nats.published.length === 1);
    expect(nats.published[0]!.task).toMatchObject({ runId: 'r4', taskId: 't1', attempt: 1, nodeId: 'n1' });
  });

  it('resume publishes each attempt once: the one stored as dispatched by resume, the one it queues again by its dispatch', async () => {
    const { nats, orch, newRun, table } = fixture(TWO_WIDE);
    const run = newRun('r7');
    run.engine.start(run.view);
    run.engine.dispatched(run.view, 't1', 1, 'n1');
    table.add(run, undefined);
    await orch.resume('r7');
    await until(() => nats.published.length >= 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(nats.published.map((p) => p.task.taskId).sort()).toEqual(['t1', 't1b']);
  });

  it('an undeliverable attempt fails as rejected with the delivery count; a stale one is ignored', async () => {
    const { nats, orch, newRun } = fixture();
    const run = newRun('r5');
    await orch.accept(run, PLAN);
    await until(() => nats.published.length === 1);
    const task = nats.published[0]!.task;
    await orch.undeliverable({ ...task, attempt: 7 }, 20);
    expect(run.view.tasks[0]!.state).toBe('dispatched');
    await orch.undeliverable(task, 20);
    expect(run.view.tasks[0]).toMatchObject({ attempt: 1, reason: 'work undeliverable after 20 deliveries' });
    expect(run.view.tasks[0]!.state).not.toBe('dispatched');
  });

  it('a result whose store fails rejects (the status is nakked); its redelivery stores it and applies it once', async () => {
    const { nats, orch, newRun, table, bus } = fixture();
    const run = newRun('r6');
    await orch.accept(run, PLAN);
    await until(() => nats.published.length === 1);
    const events: string[] = [];
    bus.on('r6', (e) => e.type === 'task' && events.push(e.state));
    const base = { v: PROTOCOL_VERSION, runId: 'r6', taskId: 't1', attempt: 1, nodeId: 'n1' } as const;
    const finished = { ...base, kind: 'task.finished', outcome: 'succeeded', exitCode: 0, startedAt: 1, finishedAt: 2, outputTail: '' } as const;
    nats.storeDown = true;
    await expect(orch.onStatus(finished)).rejects.toMatchObject({ code: 'E_TRANSPORT' });
    expect(nats.stored('r6')!.tasks[0]!.state).toBe('dispatched');
    nats.storeDown = false;
    await orch.onStatus(finished); // the redelivery
    expect(nats.stored('r6')).toMatchObject({ state: 'succeeded', tasks: [{ state: 'succeeded', attempt: 1 }] });
    expect(events.filter((s) => s === 'succeeded')).toEqual(['succeeded']);
    expect(table.isDirty('r6')).toBe(false);
  });
});

const TWO_PHASES = `
name: chain
teams: [{ name: ops }]
phases:
  - id: a
    tasks:
      - { id: t1, team: ops, role: Ops-A, command: ["true"], resources: { cpu: 5, memory: 256 } }
  - id: b
    depends_on: [a]
    tasks:
      - { id: t2, team: ops, role: Ops-B, command: ["true"], resources: { cpu: 5, memory: 256 } }
`;

const TWO_WIDE = `
name: wide
teams: [{ name: ops }]
phases:
  - id: a
    tasks:
      - { id: t1, team: ops, role: Ops-A, command: ["true"], resources: { cpu: 5, memory: 256 } }
      - { id: t1b, team: ops, role: Ops-A2, command: ["true"], resources: { cpu: 5, memory: 256 } }
  - id: b
    depends_on: [a]
    tasks:
      - { id: t2, team: ops, role: Ops-B, command: ["true"], resources: { cpu: 5, memory: 256 } }
`;

const NOWHERE = `
name: nowhere
teams: [{ name: ops }]
phases:
  - id: only
    tasks:
      - { id: t1, team: ops, role: Ops-T, command: ["true"], requires: { agent: gemini }, resources: { cpu: 5, memory: 256 } }
`;

describe('Orchestrator hot paths', () => {
  it('the finish that ends a phase and the dispatch of the next phase go out in one state write', async () => {
    const { nats, orch, newRun } = fixture(TWO_PHASES);
    const run = newRun('c1');
    await orch.accept(run, TWO_PHASES);
    await until(() => nats.published.length === 1);
    const before = nats.headWrites;
    const base = { v: PROTOCOL_VERSION, runId: 'c1', taskId: 't1', attempt: 1, nodeId: 'n1' } as const;
    await orch.onStatus({ ...base, kind: 'task.finished', outcome: 'succeeded', exitCode: 0, startedAt: 1, finishedAt: 2, outputTail: '' });
    await until(() => nats.published.length === 2);
    expect(nats.published[1]).toMatchObject({ storedState: 'dispatched', task: { taskId: 't2', phaseId: 'b' } });
    expect(nats.headWrites - before).toBe(1); // one write carried t1's result and t2's dispatch
    expect(nats.stored('c1')!.tasks.map((t) => t.state)).toEqual(['succeeded', 'dispatched']);
  });

  it('the next phase joins the write already queued when the finish that ends its predecessor arrives (placed in the same turn)', async () => {
    const { nats, orch, newRun } = fixture(TWO_WIDE);
    const run = newRun('c2');
    await orch.accept(run, TWO_WIDE);
    await until(() => nats.published.length === 2);
    const before = nats.headWrites;
    const base = { v: PROTOCOL_VERSION, runId: 'c2', attempt: 1, nodeId: 'n1', kind: 'task.finished', outcome: 'succeeded', exitCode: 0, startedAt: 1, finishedAt: 2, outputTail: '' } as const;
    const first = orch.onStatus({ ...base, taskId: 't1' });
    for (let i = 0; i < 10; i++) await new Promise<void>((r) => queueMicrotask(r)); // t1's write is queued for the next turn
    const last = orch.onStatus({ ...base, taskId: 't1b' });
    await Promise.all([first, last]);
    await until(() => nats.published.length === 3);
    expect(nats.published[2]).toMatchObject({ storedState: 'dispatched', task: { taskId: 't2', phaseId: 'b' } });
    expect(nats.headWrites - before).toBe(1); // both results and t2's dispatch: one write
  });

  it('writes waiting reasons at the first round, then at most once a second (a later round is caught up by a timer)', async () => {
    const { orch, newRun } = fixture(NOWHERE);
    const run = newRun('w1');
    await orch.accept(run, NOWHERE);
    await until(() => run.view.tasks[0]!.waitingReason === 'no node with label agent=gemini');
    run.view.tasks[0]!.waitingReason = 'stale';
    orch.kick();
    await new Promise((r) => setTimeout(r, 50));
    expect(run.view.tasks[0]!.waitingReason).toBe('stale'); // within the second: not written again yet
    await until(() => run.view.tasks[0]!.waitingReason === 'no node with label agent=gemini', 5000);
  });

  it('waiting reasons of a deep queue are written less often: 1 s up to 10,000 queued, 0.1 ms per task above, at most 10 s', () => {
    expect([1, 10_000, 20_000, 100_000, 1_000_000].map(waitingReasonsEveryMs)).toEqual([1000, 1000, 2000, 10_000, 10_000]);
  });

  it('rounds asked for by routine heartbeats are coalesced into one within 100 ms', async () => {
    const { orch, newRun } = fixture(NOWHERE);
    await orch.accept(newRun('w2'), NOWHERE);
    await new Promise((r) => setTimeout(r, 50)); // the round the submission asked for
    const round = jest.spyOn(orch.placer, 'round');
    for (let i = 0; i < 20; i++) orch.kickSoon();
    await new Promise((r) => setTimeout(r, 30));
    expect(round).not.toHaveBeenCalled();
    await until(() => round.mock.calls.length === 1, 5000);
    await new Promise((r) => setTimeout(r, 150));
    expect(round).toHaveBeenCalledTimes(1);
  });
});
