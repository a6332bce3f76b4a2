import type { Heartbeat } from '@shoal/protocol';
import * as node from './node-samples.js';

const hb = (band?: Heartbeat['band']): Heartbeat =>
  ({ host: { cpuPercent: 70, memUsedMb: 1, memTotalMb: 2, load1: 0, cores: 2 }, running: [], ...(band ? { band } : {}) }) as unknown as Heartbeat;

describe('node samples', () => {
  it('reads the band: bounds, position (above 1 over the band) and state; nothing when the band is off', () => {
    const on = hb({ low: 40, high: 60, state: 'above', throttled: [] });
    expect(node.bandLimits(on)).toEqual([[{ bound: 'low' }, 0.4], [{ bound: 'high' }, 0.6]]);
    expect(node.bandPosition(on)[0]![1]).toBeCloseTo(1.5);
    expect(node.bandState(on)).toEqual([[{ state: 'below' }, 0], [{ state: 'ok' }, 0], [{ state: 'above' }, 1]]);
    expect([node.bandLimits(hb()), node.bandPosition(hb()), node.bandState(hb())]).toEqual([[], [], []]);
  });

  it('counts agents per state and sums usage per task kind', () => {
    const running: Heartbeat['running'] = [
      { runId: 'r', taskId: 'a', attempt: 1, cpuPercent: 25, rssMb: 10, agent: { state: 'waiting-for-input', since: 0 } },
      { runId: 'r', taskId: 'b', attempt: 2, cpuPercent: 75, rssMb: 30 },
      { runId: 'q', taskId: 'c', attempt: 1, rssMb: 1 },
    ];
    const states = new Map(node.agentStates(running).map(([l, v]) => [l.state, v]));
    expect(states.get('waiting-for-input')).toBe(1);
    expect(states.get('unknown')).toBe(2);
    expect(states.get('working')).toBe(0);
    const kindOf = (runId: string) => (runId === 'r' ? 't/R/sh' : undefined);
    expect(node.agentUsage(running, 'cpu', kindOf)).toEqual([[{ task_kind: 't/R/sh' }, 1]]);
    expect(node.agentUsage(running, 'rss', kindOf)).toEqual([[{ task_kind: 't/R/sh' }, 40 * 1024 * 1024], [{ task_kind: 'unknown' }, 1024 * 1024]]);
  });
});
