import { Placer } from './placer.js';
import { demand, nodeView } from './test-fixtures.js';
import type { NodeView, PlacementGate, PlacerOptions } from './types.js';

function placer(over: Partial<PlacerOptions> = {}, clock = { t: 0 }) {
  return new Placer({ now: () => clock.t, ...over });
}

/** Applies a round's placements to the node views, as the coordinator would after dispatch. */
function commit(nodes: NodeView[], placed: { key: string; nodeId: string }[], demands: Map<string, { cpuPercent: number; memoryMb: number }>) {
  for (const p of placed) {
    const n = nodes.find((x) => x.id === p.nodeId)!;
    const d = demands.get(p.key)!;
    n.committed = { cpuPercent: n.committed.cpuPercent + d.cpuPercent, memoryMb: n.committed.memoryMb + d.memoryMb, tasks: n.committed.tasks + 1 };
  }
}

describe('Placer', () => {
  it('spreads tasks over the least used nodes', () => {
    const p = placer();
    for (let i = 0; i < 4; i++) p.enqueue(demand(`t${i}`));
    const r = p.round([nodeView('a'), nodeView('b')]);
    expect(r.placed.map((x) => x.nodeId)).toEqual(['a', 'b', 'a', 'b']);
    expect(r.waiting).toEqual([]);
    expect(r.placed[0]!.reason).toBe('spread: a now 50/240% CPU, 512/8192 MB, 1/8 tasks');
  });

  it('packs tasks on the most used node that fits', () => {
    const p = placer({ strategy: 'pack' });
    for (let i = 0; i < 5; i++) p.enqueue(demand(`t${i}`));
    const busy = nodeView('b', { committed: { cpuPercent: 100, memoryMb: 1024, tasks: 2 } });
    const r = p.round([nodeView('a'), busy]);
    expect(r.placed.map((x) => x.nodeId)).toEqual(['b', 'b', 'a', 'a', 'a']);
  });

  it('never exceeds cpu, memory or task capacity within a round', () => {
    const p = placer();
    for (let i = 0; i < 10; i++) p.enqueue(demand(`t${i}`, { cpuPercent: 100, memoryMb: 700 }));
    const r = p.round([nodeView('a', { capacity: { cpuPercent: 250, memoryMb: 8192, maxTasks: 8 } })]);
    expect(r.placed).toHaveLength(2);
    expect(r.waiting).toHaveLength(8);
    expect(r.waiting[0]!.reason).toBe('no node has 100% CPU free (best: a 50%)');
  });

  it('says which label is missing', () => {
    const p = placer();
    p.enqueue(demand('t', { requires: { agent: 'codex' } }));
    const r = p.round([nodeView('a', { labels: { agent: 'claude' } })]);
    expect(r.waiting).toEqual([{ key: 't', reason: 'no node with label agent=codex' }]);
    expect(p.waitingReasons()).toEqual(r.waiting);
  });

  it('places only on nodes carrying every required label', () => {
    const p = placer();
    p.enqueue(demand('t', { requires: { agent: 'codex', repo: 'web' } }));
    const nodes = [nodeView('a', { labels: { agent: 'codex' } }), nodeView('b', { labels: { agent: 'codex', repo: 'web' } })];
    expect(p.round(nodes).placed).toEqual([expect.objectContaining({ key: 't', nodeId: 'b' })]);
  });

  it('skips nodes whose live host CPU is above the band', () => {
    const p = placer();
    p.enqueue(demand('t'));
    const r = p.round([nodeView('a', { hostCpuPercent: 75 }), nodeView('b', { hostCpuPercent: 61 })]);
    expect(r.waiting).toEqual([{ key: 't', reason: 'all nodes above CPU band (60%)' }]);
    expect(p.round([nodeView('a', { hostCpuPercent: 75 }), nodeView('b', { hostCpuPercent: 59 })]).placed[0]!.nodeId).toBe('b');
  });

  it('names the node with the most free memory when memory is short', () => {
    const p = placer();
    p.enqueue(demand('t', { memoryMb: 512 }));
    const n1 = nodeView('n1', { committed: { cpuPercent: 0, memoryMb: 7936, tasks: 1 } });
    const n2 = nodeView('n2', { committed: { cpuPercent: 0, memoryMb: 8000, tasks: 1 } });
    expect(p.round([n2, n1]).waiting[0]!.reason).toBe('no node has 512 MB free (best: n1 256 MB)');
  });

  it('excludes dead nodes and says so', () => {
    const p = placer();
    p.enqueue(demand('t'));
    expect(p.round([nodeView('a', { alive: false })]).waiting[0]!.reason).toBe('no live nodes');
    expect(p.round([]).waiting[0]!.reason).toBe('no nodes registered');
  });

  it('reports a full fleet for tasks a round never reached', () => {
    const p = placer();
    for (let i = 0; i < 3; i++) p.enqueue(demand(`t${i}`));
    const r = p.round([nodeView('a', { capacity: { cpuPercent: 240, memoryMb: 8192, maxTasks: 1 } })]);
    expect(r.placed).toHaveLength(1);
    expect(r.waiting.map((w) => w.reason)).toEqual(['all 1 available node(s) full', 'all 1 available node(s) full']);
  });

  it('places higher priority first and ages waiting tasks', () => {
    const clock = { t: 0 };
    const p = placer({ agingPerSecond: 1 }, clock);
    const one = [nodeView('a', { capacity: { cpuPercent: 240, memoryMb: 8192, maxTasks: 1 } })];
    p.enqueue(demand('low', { priority: 0, enqueuedAt: 0 }));
    clock.t = 5_000;
    p.enqueue(demand('high', { priority: 10, enqueuedAt: 5_000 }));
    expect(p.round(one).placed[0]!.key).toBe('high');
    clock.t = 11_000;
    p.enqueue(demand('high2', { priority: 10, enqueuedAt: 11_000 }));
    expect(p.round(one).placed[0]!.key).toBe('low');
  });

  it('places the longest expected task first among tasks queued together, but never before older or higher priority work', () => {
    const p = placer();
    p.enqueue(demand('old-short', { enqueuedAt: 0, estimateMs: 1_000 }));
    for (const [key, est] of [['short', 2_000], ['unknown', undefined], ['long', 90_000], ['mid', 30_000]] as const) {
      p.enqueue(demand(key, { enqueuedAt: 10, ...(est === undefined ? {} : { estimateMs: est }) }));
    }
    p.enqueue(demand('urgent', { enqueuedAt: 20, priority: 5, estimateMs: 1 }));
    const r = p.round([nodeView('n', { capacity: { cpuPercent: 1000, memoryMb: 99999, maxTasks: 6 } })]);
    expect(r.placed.map((x) => x.key)).toEqual(['urgent', 'old-short', 'long', 'mid', 'short', 'unknown']);
  });

  it('alternates between runs at equal priority', () => {
    const p = placer();
    for (let i = 0; i < 3; i++) p.enqueue(demand(`a${i}`, { runId: 'ra', enqueuedAt: i }));
    for (let i = 0; i < 3; i++) p.enqueue(demand(`b${i}`, { runId: 'rb', enqueuedAt: 100 + i }));
    const r = p.round([nodeView('n', { capacity: { cpuPercent: 1000, memoryMb: 99999, maxTasks: 4 } })]);
    expect(r.placed.map((x) => x.key)).toEqual(['a0', 'b0', 'a1', 'b1']);
  });

  it('is idempotent per key and supports cancel, cancelRun and stats', () => {
    const clock = { t: 1_000 };
    const p = placer({}, clock);
    p.enqueue(demand('a', { enqueuedAt: 200 }));
    p.enqueue(demand('a', { enqueuedAt: 300 }));
    p.enqueue(demand('b', { runId: 'r2', enqueuedAt: 400 }));
    p.enqueue(demand('c', { runId: 'r2', enqueuedAt: 500 }));
    expect(p.depth()).toBe(3);
    expect(p.stats()).toEqual({ depth: 3, oldestWaitMs: 800, byRun: { r1: 1, r2: 2 } });
    expect(p.cancel('a')).toBe(true);
    expect(p.cancel('a')).toBe(false);
    expect(p.stats()).toEqual({ depth: 2, oldestWaitMs: 600, byRun: { r2: 2 } });
    expect(p.cancelRun('r2')).toBe(2);
    expect(p.stats()).toEqual({ depth: 0, oldestWaitMs: 0, byRun: {} });
    expect(p.round([nodeView('n')]).placed).toEqual([]);
  });

  it('can skip building the waiting list and still explain every task on demand', () => {
    const p = placer();
    p.enqueue(demand('big', { cpuPercent: 1000 }));
    p.enqueue(demand('gpu', { requires: { gpu: 'true' } }));
    const r = p.round([nodeView('a')], { waiting: false });
    expect(r).toEqual({ placed: [], waiting: [] });
    p.enqueue(demand('late'));
    expect(p.waitingReasons()).toEqual([
      { key: 'big', reason: 'no node has 1000% CPU free (best: a 240%)' },
      { key: 'gpu', reason: 'no node with label gpu=true' },
      { key: 'late', reason: 'queued: not yet considered by a placement round' },
    ]);
  });

  it('rejects demands without positive resources', () => {
    expect(() => placer().enqueue(demand('x', { cpuPercent: 0 }))).toThrow(/must be positive/);
  });

  it('keeps a batch on one node (one budget for all its members) and waits for room there once the budget is gone', () => {
    const p = placer();
    const small = { capacity: { cpuPercent: 240, memoryMb: 8192, maxTasks: 1 } };
    for (let i = 0; i < 3; i++) p.enqueue(demand(`t${i}`, { batch: 'b1' }));
    const nodes = [nodeView('a', small), nodeView('b', small)];
    const r = p.round(nodes);
    expect(r.placed.map((x) => x.nodeId)).toEqual(['a', 'a', 'a']);
    expect(r.placed[1]!.reason).toMatch(/batch b1 \(its budget is held there\)$/);
    p.enqueue(demand('t3', { batch: 'b1' }));
    const full = { ...small, committed: { cpuPercent: 50, memoryMb: 512, tasks: 1 } };
    expect(p.round([nodeView('a', full), nodeView('b', small)]).waiting).toEqual([{ key: 't3', reason: 'batch b1 waits for room on its node a' }]);
    expect(p.round([nodeView('a', { alive: false }), nodeView('b', small)]).placed[0]!.nodeId).toBe('b');
  });

  it('honours anti-affinity groups, avoided labels and role affinity', () => {
    const p = placer({ roleAffinity: { reviewer: { tier: 'big' } } });
    p.enqueue(demand('g1', { antiAffinity: 'web' }));
    p.enqueue(demand('g2', { antiAffinity: 'web' }));
    p.enqueue(demand('g3', { antiAffinity: 'web' }));
    const nodes = [nodeView('a', { antiAffinityGroups: ['web'] }), nodeView('b'), nodeView('c')];
    const r = p.round(nodes);
    expect(r.placed.map((x) => x.nodeId)).toEqual(['b', 'c']);
    expect(r.waiting[0]!.reason).toBe('every node already runs a task of anti-affinity group web');

    const q = placer({ roleAffinity: { reviewer: { tier: 'big' } } });
    q.enqueue(demand('r', { role: 'reviewer' }));
    q.enqueue(demand('x', { avoid: { tier: 'big' } }));
    const r2 = q.round([nodeView('a', { committed: { cpuPercent: 150, memoryMb: 0, tasks: 0 }, labels: { tier: 'big' } }), nodeView('b')]);
    expect(r2.placed).toEqual([
      expect.objectContaining({ key: 'r', nodeId: 'a', reason: expect.stringContaining('preferred (tier=big)') }),
      expect.objectContaining({ key: 'x', nodeId: 'b' }),
    ]);
  });

  it('skips nodes and presets whose breaker is open, and uses up half-open trials', () => {
    const placedOn: string[] = [];
    const nodeGate: PlacementGate = {
      allowance: (id) => (id === 'a' ? 0 : id === 'b' ? 1 : Infinity),
      describe: (id) => `circuit open for node ${id}`,
      notePlaced: (id) => placedOn.push(id),
    };
    const p = placer({ nodeBreakers: nodeGate });
    for (let i = 0; i < 3; i++) p.enqueue(demand(`t${i}`));
    const r = p.round([nodeView('a'), nodeView('b')]);
    expect(r.placed.map((x) => x.nodeId)).toEqual(['b']);
    expect(placedOn).toEqual(['b']);
    expect(r.waiting[0]!.reason).toBe('circuit open on all 2 live nodes (circuit open for node a)');

    const presetGate: PlacementGate = { allowance: () => 0, describe: (k) => `circuit open for agent preset ${k}`, notePlaced: () => {} };
    const q = placer({ presetBreakers: presetGate });
    q.enqueue(demand('c', { preset: 'codex' }));
    q.enqueue(demand('d'));
    const r2 = q.round([nodeView('n')]);
    expect(r2.placed.map((x) => x.key)).toEqual(['d']);
    expect(r2.waiting).toEqual([{ key: 'c', reason: 'circuit open for agent preset codex' }]);
  });

  it('does not depend on the order of the node views', () => {
    const run = (nodes: NodeView[]) => {
      const p = placer();
      for (let i = 0; i < 6; i++) p.enqueue(demand(`t${i}`, { cpuPercent: 30 + i }));
      return p.round(nodes).placed;
    };
    const nodes = [nodeView('c'), nodeView('a'), nodeView('b')];
    expect(run(nodes)).toEqual(run([...nodes].reverse()));
  });

  it('lets the caller commit placements between rounds', () => {
    const p = placer();
    const demands = new Map<string, { cpuPercent: number; memoryMb: number }>();
    for (let i = 0; i < 6; i++) {
      const d = demand(`t${i}`, { cpuPercent: 100 });
      demands.set(d.key, d);
      p.enqueue(d);
    }
    const nodes = [nodeView('a')];
    const r1 = p.round(nodes);
    commit(nodes, r1.placed, demands);
    expect(r1.placed).toHaveLength(2);
    expect(p.round(nodes).placed).toHaveLength(0);
  });
});
