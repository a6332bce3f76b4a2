import { BreakerBoard, Placer, type NodeView, type TaskDemand } from '@shoal/scheduler';
import { waitsForRoom } from './room.js';

const node = (id: string, over: Partial<NodeView> = {}): NodeView => ({
  id,
  labels: {},
  alive: true,
  capacity: { cpuPercent: 200, memoryMb: 4096, maxTasks: 4 },
  committed: { cpuPercent: 0, memoryMb: 0, tasks: 0 },
  hostCpuPercent: 10,
  ...over,
});
const demand = (key: string, over: Partial<TaskDemand> = {}): TaskDemand => ({ key, runId: 'r', taskId: key, team: 't', role: 'dev', cpuPercent: 50, memoryMb: 256, priority: 0, enqueuedAt: 0, ...over });

/** The placer's reason for the one task it could not place, with the real Placer. */
function reasonFor(d: TaskDemand, nodes: NodeView[], presetBreakers?: BreakerBoard): string {
  const p = new Placer({ now: () => 0, hostCpuHighPercent: 60, presetBreakers });
  p.enqueue(d);
  const r = p.round(nodes);
  expect(r.placed).toEqual([]);
  return r.waiting[0]!.reason;
}

describe('waitsForRoom: which wait reasons one more node like the others would cure', () => {
  it.each([
    ['no nodes registered', demand('a'), []],
    ['memory', demand('a', { memoryMb: 3000 }), [node('n', { committed: { cpuPercent: 0, memoryMb: 2000, tasks: 1 } })]],
    ['CPU', demand('a', { cpuPercent: 150 }), [node('n', { committed: { cpuPercent: 100, memoryMb: 0, tasks: 1 } })]],
    ['task limit', demand('a'), [node('n', { committed: { cpuPercent: 0, memoryMb: 0, tasks: 4 } })]],
    ['anti-affinity', demand('a', { antiAffinity: 'g' }), [node('n', { antiAffinityGroups: ['g'], committed: { cpuPercent: 50, memoryMb: 256, tasks: 1 } })]],
    ['CPU band', demand('a'), [node('n', { hostCpuPercent: 95 })]],
  ])('room: %s', (_what, d, nodes) => {
    expect(waitsForRoom(reasonFor(d, nodes as NodeView[]))).toBe(true);
  });

  it('not room: a label no node carries, an avoided label on every node, an open preset breaker', () => {
    expect(waitsForRoom(reasonFor(demand('a', { requires: { gpu: 'yes' } }), [node('n')]))).toBe(false);
    expect(waitsForRoom(reasonFor(demand('a', { avoid: { zone: 'a' } }), [node('n', { labels: { zone: 'a' } })]))).toBe(false);
    const presets = new BreakerBoard('agent preset', { now: () => 0, failureThreshold: 1 });
    presets.recordFailure('codex');
    expect(waitsForRoom(reasonFor(demand('a', { preset: 'codex' }), [node('n')], presets))).toBe(false);
  });
});
