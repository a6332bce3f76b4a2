import type { Heartbeat } from '@shoal/protocol';
import * as fleet from './fleet-samples.js';

const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  v: 1,
  kind: 'node.heartbeat',
  nodeId: 'n1',
  hostname: 'h',
  sentAt: 9_800,
  startedAt: 0,
  pulseMs: 1000,
  labels: {},
  governor: 'fallback',
  capacity: { cpuPercent: 100, memoryMb: 1000, maxTasks: 4 },
  host: { cpuPercent: 50, memUsedMb: 512, memTotalMb: 2048, load1: 0, cores: 2 },
  running: [],
  ...over,
}) as Heartbeat;

describe('fleet samples', () => {
  const band = { low: 40, high: 60, state: 'ok' as const, throttled: ['r/a'] };
  const nodes = [
    { id: 'n1', state: 'alive' as const, receivedAt: 10_000, heartbeat: hb({ band, running: [
      { runId: 'r', taskId: 'a', attempt: 1, cpuPercent: 150, rssMb: 100, agent: { state: 'working', since: 1 } },
      { runId: 'r', taskId: 'b', attempt: 1, cpuPercent: 50, rssMb: 20, agent: { state: 'menu', since: 1 } },
      { runId: 'q', taskId: 'z', attempt: 1 },
    ] }) },
    { id: 'n2', state: 'lost' as const, receivedAt: 1_000, heartbeat: hb({ nodeId: 'n2', running: [{ runId: 'r', taskId: 'c', attempt: 1, cpuPercent: 10 }] }) },
  ];

  it('reads host CPU, memory and the band position of each node', () => {
    expect(fleet.nodeCounts(nodes)).toEqual([[{ state: 'alive' }, 1], [{ state: 'suspect' }, 0], [{ state: 'lost' }, 1]]);
    expect(fleet.nodeCpu(nodes)[0]).toEqual([{ node: 'n1' }, 0.5]);
    expect(fleet.nodeMemory(nodes, 'usage')[0]).toEqual([{ node: 'n1' }, 512 * 1024 * 1024]);
    expect(fleet.bandLimits(nodes)).toEqual([[{ node: 'n1', bound: 'low' }, 0.4], [{ node: 'n1', bound: 'high' }, 0.6]]);
    expect(fleet.bandPosition(nodes)).toEqual([[{ node: 'n1' }, 0.5]]);
    expect(fleet.bandState(nodes)).toEqual([[{ node: 'n1', state: 'below' }, 0], [{ node: 'n1', state: 'ok' }, 1], [{ node: 'n1', state: 'above' }, 0]]);
    expect(fleet.perNode(nodes, (h) => h.band?.throttled.length ?? 0)).toEqual([[{ node: 'n1' }, 1], [{ node: 'n2' }, 0]]);
    expect(fleet.heartbeatLag(nodes)[0]).toEqual([{ node: 'n1' }, 0.2]);
    expect(fleet.heartbeatAge(nodes, 12_000)).toEqual([[{ node: 'n1' }, 2], [{ node: 'n2' }, 11]]);
  });

  it('counts agents per detected state and sums their usage per task kind, lost nodes left out', () => {
    const states = new Map(fleet.agentStates(nodes).map(([l, v]) => [`${l.node}/${l.state}`, v]));
    expect(states.get('n1/working')).toBe(1);
    expect(states.get('n1/menu')).toBe(1);
    expect(states.get('n1/unknown')).toBe(1);
    expect(states.get('n1/stalled')).toBe(0);
    expect([...states.keys()].some((k) => k.startsWith('n2/'))).toBe(false);
    const kindOf = (runId: string) => (runId === 'r' ? 't/R/sh' : undefined);
    expect(fleet.agentUsage(nodes, 'cpu', kindOf)).toEqual([[{ node: 'n1', task_kind: 't/R/sh' }, 2]]);
    expect(fleet.agentUsage(nodes, 'rss', kindOf)).toEqual([[{ node: 'n1', task_kind: 't/R/sh' }, 120 * 1024 * 1024]]);
  });

  it('counts breakers that are not closed per kind and state', () => {
    expect(fleet.breakerCounts({ node: { a: { state: 'open' }, b: { state: 'half-open' } }, preset: {} })).toEqual([
      [{ kind: 'node', state: 'open' }, 1],
      [{ kind: 'node', state: 'half-open' }, 1],
      [{ kind: 'preset', state: 'open' }, 0],
      [{ kind: 'preset', state: 'half-open' }, 0],
    ]);
  });
});
