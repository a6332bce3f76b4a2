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
