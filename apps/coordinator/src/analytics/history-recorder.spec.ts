import type { HistoryRecord, RunEvent, RunView, TaskView } from '@shoal/protocol';
import { EventBus } from '../event-bus.js';
import type { LeadershipService } from '../leadership/leadership.service.js';
import type { NodeRecord, NodeRegistry } from '../node-registry.js';
import type { RunTable } from '../run-table.js';
import { HistoryRecorder } from './history-recorder.js';
import type { HistoryStore } from './history-store.js';

const T0 = 1_800_000_000_000;

function setup() {
  const task = (over: Partial<TaskView>): TaskView => ({ id: 'a', phaseId: 'p1', team: 'web', role: 'dev', state: 'running', attempt: 1, maxAttempts: 2, ...over });
  const view: RunView = {
    id: 'r1',
    plan: 'demo',
    state: 'running',
    submittedAt: T0,
    startedAt: T0,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    phases: [{ id: 'p1', state: 'running', dependsOn: [], startedAt: T0 }, { id: 'p2', state: 'pending', dependsOn: ['p1'] }],
    tasks: [task({ id: 'a' }), task({ id: 'c', role: 'qa' })],
  };
  const specs = new Map([
    ['a', { id: 'a', team: 'web', role: 'dev', command: ['/usr/bin/npm', 'test'] }],
    ['c', { id: 'c', team: 'web', role: 'qa', command: ['pytest'], cache: { inputs: [], ttlMs: 1000 } }],
  ]);
  const leader = { active: true };
  const appended: HistoryRecord[] = [];
  const nodes: Partial<NodeRecord>[] = [];
  const bus = new EventBus();
  const recorder = new HistoryRecorder(
    bus,
    { get: (id: string) => (id === 'r1' ? { view, plan: { tasks: specs } } : undefined) } as unknown as RunTable,
    { list: () => nodes } as unknown as NodeRegistry,
    leader as unknown as LeadershipService,
    { append: (r: HistoryRecord) => appended.push(r), settings: { sampleMs: 60_000 } } as unknown as HistoryStore,
  );
  recorder.onModuleInit();
  const taskEvent = (t: TaskView, state: TaskView['state']): RunEvent => ({ type: 'task', runId: 'r1', taskId: t.id, phaseId: t.phaseId, state, attempt: t.attempt, at: T0 + 99 });
  return { view, bus, recorder, leader, appended, nodes, taskEvent, stop: () => recorder.onModuleDestroy() };
}

describe('HistoryRecorder', () => {
  it('records an ended attempt once, with its kind, times, node and outcome', () => {
    const s = setup();
    const a = s.view.tasks[0]!;
    Object.assign(a, { state: 'awaiting-operator', nodeId: 'n1', queuedAt: T0, dispatchedAt: T0 + 1, startedAt: T0 + 2, finishedAt: T0 + 50, outcome: 'failed', exitCode: 3 });
    s.bus.emit(s.taskEvent(a, 'awaiting-operator'));
    s.bus.emit(s.taskEvent(a, 'failed')); // the operator gave up on it: the same attempt
    expect(s.appended).toEqual([
      { type: 'attempt', runId: 'r1', plan: 'demo', phaseId: 'p1', taskId: 'a', kind: 'web/dev/npm', attempt: 1, nodeId: 'n1', queuedAt: T0, startedAt: T0 + 2, finishedAt: T0 + 50, outcome: 'failed', exitCode: 3 },
    ]);
    s.stop();
  });

  it('tells a cache hit from a miss, and records a cancelled attempt only if it was dispatched', () => {
    const s = setup();
    const c = s.view.tasks[1]!;
    Object.assign(c, { state: 'succeeded', queuedAt: T0, finishedAt: T0 + 5, outcome: 'succeeded', exitCode: 0 });
    s.bus.emit(s.taskEvent(c, 'succeeded'));
    expect(s.appended[0]).toMatchObject({ taskId: 'c', cache: 'hit', outcome: 'succeeded' });
    expect(s.appended[0]).not.toHaveProperty('startedAt');
    const a = s.view.tasks[0]!;
    Object.assign(a, { state: 'cancelled', queuedAt: T0 });
    s.bus.emit(s.taskEvent(a, 'cancelled'));
    expect(s.appended).toHaveLength(1);
    Object.assign(a, { attempt: 2, dispatchedAt: T0 + 1, startedAt: T0 + 2, nodeId: 'n1' });
    s.bus.emit(s.taskEvent(a, 'cancelled'));
    expect(s.appended[1]).toMatchObject({ taskId: 'a', attempt: 2, outcome: 'cancelled', startedAt: T0 + 2, finishedAt: T0 + 99 });
    s.stop();
  });

  it('records finished phases that had started and finished runs with their trace id', () => {
    const s = setup();
    s.view.phases[0]!.finishedAt = T0 + 80;
    s.bus.emit({ type: 'phase', runId: 'r1', phaseId: 'p1', state: 'succeeded', at: T0 + 80 });
    s.bus.emit({ type: 'phase', runId: 'r1', phaseId: 'p2', state: 'skipped', at: T0 + 80 });
    s.bus.emit({ type: 'phase', runId: 'r1', phaseId: 'p2', state: 'cancelled', at: T0 + 80 });
    s.view.finishedAt = T0 + 90;
    s.bus.emit({ type: 'run', runId: 'r1', state: 'failed', at: T0 + 90 });
    s.bus.emit({ type: 'run', runId: 'gone', state: 'failed', at: T0 + 90 });
    expect(s.appended).toEqual([
      { type: 'phase', runId: 'r1', plan: 'demo', phaseId: 'p1', state: 'succeeded', startedAt: T0, finishedAt: T0 + 80 },
      { type: 'run', runId: 'r1', plan: 'demo', state: 'failed', submittedAt: T0, startedAt: T0, finishedAt: T0 + 90, tasks: 2, traceId: '0af7651916cd43dd8448eb211c80319c' },
    ]);
    s.stop();
  });

  it('samples live nodes from their last heartbeat; a standby records nothing', () => {
    const s = setup();
    const hb = (cpu: number, running: number) => ({ host: { cpuPercent: cpu, memUsedMb: 100, memTotalMb: 1000 }, running: Array.from({ length: running }) });
    s.nodes.push({ id: 'n1', state: 'alive', heartbeat: hb(42, 2) } as unknown as NodeRecord, { id: 'n2', state: 'lost', heartbeat: hb(1, 0) } as unknown as NodeRecord);
    s.recorder.sampleNodes(T0);
    expect(s.appended).toEqual([{ type: 'node', nodeId: 'n1', at: T0, cpuPercent: 42, memUsedMb: 100, memTotalMb: 1000, running: 2 }]);
    s.leader.active = false;
    s.recorder.sampleNodes(T0 + 1);
    s.bus.emit({ type: 'run', runId: 'r1', state: 'failed', at: T0 + 90 });
    expect(s.appended).toHaveLength(1);
    s.stop();
  });
});
