import type { RunEvent } from '@shoal/protocol';
import { type MonitorData, type MonitorNode, agentRows, cpuBar, renderFrame } from './frame.js';

const NOW = Date.parse('2026-11-29T01:00:00Z');

function node(id: string, cpu: number, running: MonitorNode['running'] = []): MonitorNode {
  return {
    id,
    state: 'alive',
    host: { cpuPercent: cpu, memUsedMb: 2048, memTotalMb: 8192, load1: 0.5, cores: 2 },
    capacity: { cpuPercent: 200, memoryMb: 8192, maxTasks: 8 },
    band: { low: 40, high: 60, state: 'ok', throttled: [] },
    running,
  };
}

function data(over: Partial<MonitorData> = {}): MonitorData {
  const running = (n: number, prefix: string): MonitorNode['running'] =>
    Array.from({ length: n }, (_, i) => ({ runId: `run-${prefix}`, taskId: `${prefix}${i}`, attempt: 1, cpuPercent: 12, rssMb: 300, agent: { state: 'working' as const, since: NOW - 5000 } }));
  const waiting = { runId: 'run-w', taskId: 'asks', attempt: 2, agent: { state: 'waiting-for-input' as const, since: NOW - 130_000 } };
  const events: RunEvent[] = Array.from({ length: 30 }, (_, i) => ({ type: 'task', runId: 'run-a', taskId: `a${i}`, phaseId: 'p', state: 'running', attempt: 1, nodeId: 'node-a', at: NOW - (30 - i) * 1000 }));
  return {
    api: 'http://127.0.0.1:8080',
    at: NOW,
    nodes: [node('node-a', 47, running(6, 'a')), node('node-b-with-a-very-long-name', 12, [...running(5, 'b'), waiting])],
    runs: [{ id: 'run-a', state: 'running', tasks: 6, submittedAt: NOW - 60_000 }, { id: 'old', state: 'succeeded', tasks: 1, submittedAt: 0 }],
    queue: { depth: 3, oldestWaitMs: 42_000 },
    events,
    streaming: true,
    ...over,
  };
}

describe('renderFrame', () => {
  it.each([
    [80, 24],
    [120, 40],
    [40, 10],
    [20, 5],
  ])('fits %i x %i: at most that many lines, none wider', (width, height) => {
    const lines = renderFrame(data(), width, height);
    expect(lines.length).toBeLessThanOrEqual(height);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(width);
  });

  it('shows nodes with the CPU band, the waiting agent first, the queue and the latest events at 80x24', () => {
    const lines = renderFrame(data(), 80, 24);
    const text = lines.join('\n');
    expect(lines[0]).toMatch(/^shoal monitor  01:00:00  nodes 2  agents 12  needs you 1  queued 3/);
    expect(text).toMatch(/NODES\n  node-a\s+alive\s+\[#{8}\|##\.\.\|\.{8}\]  47% mem 2\.0\/8\.0G\s+tasks 6\/8/);
    const agentsAt = lines.indexOf('AGENTS (needs you first)');
    expect(lines[agentsAt + 1]).toMatch(/^! asks#2\s+waiting-for-input 2m10s\s+node-b-with-\s+run-w/);
    expect(lines[agentsAt + 2]).toMatch(/^  a0#1\s+working 5s/);
    expect(text).toMatch(/QUEUE 3 waiting, oldest 42s  RUNS 1 active: run-a running/);
    expect(lines.at(-1)).toMatch(/00:59:59 run-a a29#1 running on node-a$/); // newest event last
  });

  it('cuts a list that does not fit and says how many more there are', () => {
    const many = data();
    many.nodes[0]!.running = Array.from({ length: 40 }, (_, i) => ({ runId: 'r', taskId: `t${i}`, attempt: 1 }));
    const lines = renderFrame(many, 80, 24);
    expect(lines).toHaveLength(24);
    expect(lines.join('\n')).toMatch(/AGENTS \(needs you first\)\n! asks#2[\s\S]*  … \d+ more\nQUEUE[\s\S]*EVENTS\n/);
  });

  it('says so when there is nothing, or when the API cannot be read', () => {
    const lines = renderFrame(data({ nodes: [], runs: [], events: [], queue: undefined, streaming: false, error: 'cannot reach the Shoal API' }), 80, 24);
    expect(lines.join('\n')).toMatch(/! cannot reach the Shoal API[\s\S]*no nodes[\s\S]*no running agents[\s\S]*event stream not open/);
  });
});

describe('cpuBar', () => {
  it('marks the band edges and fills by percent', () => {
    expect(cpuBar(0, { low: 40, high: 60 })).toBe('[........|....|........]');
    expect(cpuBar(100, { low: 40, high: 60 })).toBe('[########|####|########]');
    expect(cpuBar(50, { low: 40, high: 60 })).toBe('[########|##..|........]');
  });
});

describe('agentRows', () => {
  it('puts agents needing an operator first, longest waiting first', () => {
    const rows = agentRows([
      node('n', 0, [
        { runId: 'r', taskId: 'w', attempt: 1, agent: { state: 'working', since: 1 } },
        { runId: 'r', taskId: 'm', attempt: 1, agent: { state: 'menu', since: 50 } },
        { runId: 'r', taskId: 's', attempt: 1, agent: { state: 'stalled', since: 10 } },
        { runId: 'r', taskId: 'x', attempt: 1 },
      ]),
    ]);
    expect(rows.map((r) => r.taskId)).toEqual(['s', 'm', 'w', 'x']);
  });
});
