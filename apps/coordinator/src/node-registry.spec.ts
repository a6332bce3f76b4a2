import type { Heartbeat } from '@shoal/protocol';
import type { CoordinatorConfig } from './config';
import { NodeRegistry } from './node-registry';

const hb = (nodeId: string): Heartbeat => ({ nodeId, hostname: nodeId, governor: 'fallback', pulseMs: 2000, labels: {}, running: [] }) as unknown as Heartbeat;

describe('NodeRegistry: liveness judged on the coordinator clock, only when allowed', () => {
  const registry = () => new NodeRegistry({ nodeTtlMs: 10_000 } as CoordinatorConfig);

  it('a node silent longer than the TTL is lost once, and only its own heartbeat brings it back', () => {
    const nodes = registry();
    expect(nodes.heartbeat(hb('a'), 0)).toBe(true);
    expect(nodes.sweep(5000, 0)).toEqual([]);
    expect(nodes.get('a')!.state).toBe('suspect');
    expect(nodes.sweep(10_001, 0)).toEqual(['a']);
    expect(nodes.sweep(10_002, 10_002)).toEqual([]);
    expect(nodes.get('a')!.state).toBe('lost');
    expect(nodes.heartbeat(hb('a'), 11_000)).toBe(true);
    expect(nodes.heartbeat(hb('a'), 12_000)).toBe(false);
    expect(nodes.get('a')!.state).toBe('alive');
  });

  it('while judging is suspended nobody is lost, however long the silence', () => {
    const nodes = registry();
    nodes.heartbeat(hb('a'), 0);
    expect(nodes.sweep(60_000, undefined)).toEqual([]);
    expect(nodes.get('a')!.state).toBe('alive');
  });

  it('after the bus came back, silence counts from then: a node has a full TTL to be heard', () => {
    const nodes = registry();
    nodes.heartbeat(hb('a'), 0);
    nodes.heartbeat(hb('b'), 0);
    const back = 30_000;
    expect(nodes.sweep(back + 9000, back)).toEqual([]);
    nodes.heartbeat(hb('a'), back + 9500);
    expect(nodes.sweep(back + 10_001, back)).toEqual(['b']);
    expect(nodes.get('a')!.state).toBe('alive');
  });
});

describe('NodeRegistry: views for the placer', () => {
  const registry = () => new NodeRegistry({ nodeTtlMs: 10_000 } as CoordinatorConfig);
  const beat = (nodeId: string, maxTasks: number) =>
    ({ ...hb(nodeId), capacity: { cpuPercent: 100, memoryMb: 1000, maxTasks }, host: { cpuPercent: 3 } }) as unknown as Heartbeat;

  it('lists nodes by id, with the latest heartbeat of each, as new nodes join and leave', () => {
    const nodes = registry();
    nodes.heartbeat(beat('b', 1), 0);
    nodes.heartbeat(beat('a', 1), 0);
    expect(nodes.views(new Map()).map((v) => v.id)).toEqual(['a', 'b']);
    nodes.heartbeat(beat('b', 4), 100);
    nodes.heartbeat(beat('c', 2), 100);
    const views = nodes.views(new Map([['b', { cpuPercent: 10, memoryMb: 20, tasks: 1 }]]));
    expect(views.map((v) => [v.id, v.capacity.maxTasks, v.committed.tasks])).toEqual([
      ['a', 1, 0],
      ['b', 4, 1],
      ['c', 2, 0],
    ]);
    expect(nodes.get('b')!.receivedAt).toBe(100);
    expect(nodes.get('b')!.firstSeenAt).toBe(0);
    nodes.remove('a');
    expect(nodes.list().map((n) => n.id)).toEqual(['b', 'c']);
    expect(nodes.views(new Map()).map((v) => v.id)).toEqual(['b', 'c']);
  });

  it('a suspect node is alive again with its next heartbeat (its view says so)', () => {
    const nodes = registry();
    nodes.heartbeat(beat('a', 1), 0);
    nodes.sweep(5000, 0);
    expect(nodes.views(new Map())[0]!.alive).toBe(false);
    nodes.heartbeat(beat('a', 1), 5100);
    expect(nodes.views(new Map())[0]!.alive).toBe(true);
  });

  it('list() is a copy: changing it leaves the registry alone', () => {
    const nodes = registry();
    nodes.heartbeat(beat('a', 1), 0);
    nodes.list().pop();
    expect(nodes.list().map((n) => n.id)).toEqual(['a']);
  });
});
