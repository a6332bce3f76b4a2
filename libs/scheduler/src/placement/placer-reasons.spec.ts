/**
 * Placement reasons and preferences that mutation testing showed unobserved (issue 15): the
 * preferred-node note, preferences with different label sets in one placer, the tie between
 * equally loaded nodes, reasons of tasks a round never reached, preset notes, and demands whose
 * numbers overflow.
 */
import { Placer } from './placer.js';
import { demand, nodeView } from './test-fixtures.js';

const placer = (over: Partial<ConstructorParameters<typeof Placer>[0]> = {}) => new Placer({ now: () => 0, ...over });
const MAX = Number.MAX_VALUE;

describe('Placer.enqueue: numbers that are finite alone but overflow together are refused', () => {
  it.each([
    ['priority and enqueue time', { priority: MAX, enqueuedAt: MAX }],
    ['CPU and memory', { cpuPercent: MAX, memoryMb: MAX }],
  ])('%s near Number.MAX_VALUE', (_what, over) => {
    const p = placer();
    expect(() => p.enqueue(demand('x', over))).toThrow(/must be positive, priority and enqueuedAt finite/);
    expect(p.depth()).toBe(0);
  });
});

describe('Placer: preferred nodes', () => {
  it('names every preferred pair in the reason, comma-separated', () => {
    const p = placer();
    p.enqueue(demand('t', { prefers: { tier: 'big', zone: 'x' } }));
    const r = p.round([nodeView('a', { labels: { tier: 'big', zone: 'x' }, committed: { cpuPercent: 100, memoryMb: 0, tasks: 1 } }), nodeView('b')]);
    expect(r.placed).toEqual([{ key: 't', nodeId: 'a', reason: 'spread: a now 150/240% CPU, 512/8192 MB, 2/8 tasks, preferred (tier=big,zone=x)' }]);
  });

  it('a task whose preferred nodes have no room is placed elsewhere, without the preferred note', () => {
    const p = placer();
    p.enqueue(demand('t', { prefers: { tier: 'big' } }));
    const r = p.round([nodeView('a', { labels: { tier: 'big' }, committed: { cpuPercent: 220, memoryMb: 0, tasks: 1 } }), nodeView('b')]);
    expect(r.placed).toEqual([{ key: 't', nodeId: 'b', reason: 'spread: b now 50/240% CPU, 512/8192 MB, 1/8 tasks' }]);
  });

  it('tasks preferring different label sets each go to their own preferred node, even when the pairs run together alike', () => {
    const p = placer();
    p.enqueue(demand('p1', { prefers: { a: 'x', yb: '1' }, enqueuedAt: 0 }));
    p.enqueue(demand('p2', { prefers: { a: 'xy', b: '1' }, enqueuedAt: 1 }));
    const r = p.round([nodeView('n1', { labels: { a: 'x', yb: '1' } }), nodeView('n2', { labels: { a: 'xy', b: '1' } })]);
    expect(r.placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['p1@n1', 'p2@n2']);
    expect(r.placed[1]!.reason).toMatch(/, preferred \(a=xy,b=1\)$/);
  });

  it('tasks requiring different label sets with the same preference never leave their required nodes', () => {
    const p = placer();
    p.enqueue(demand('t1', { requires: { a: 'x', yb: '1' }, prefers: { tier: 'big' }, enqueuedAt: 0 }));
    p.enqueue(demand('t2', { requires: { a: 'xy', b: '1' }, prefers: { tier: 'big' }, enqueuedAt: 1 }));
    const r = p.round([nodeView('n1', { labels: { a: 'x', yb: '1', tier: 'big' } }), nodeView('n2', { labels: { a: 'xy', b: '1', tier: 'big' } })]);
    expect(r.placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['t1@n1', 't2@n2']);
  });

  it('among equally loaded nodes spread takes the one at that load longest, also after a preferred placement with the same labels', () => {
    // n1 (1 of 8 tasks) takes t1 through its preference and reaches n2's load (2 of 8): n2 was there first
    const p = placer();
    p.enqueue(demand('t1', { requires: { zone: 'x' }, prefers: { agent: 'codex' }, enqueuedAt: 0 }));
    p.enqueue(demand('t2', { requires: { agent: 'codex', zone: 'x' }, enqueuedAt: 1 }));
    const labels = { agent: 'codex', zone: 'x' };
    const r = p.round([
      nodeView('n1', { labels, committed: { cpuPercent: 0, memoryMb: 0, tasks: 1 } }),
      nodeView('n2', { labels, committed: { cpuPercent: 0, memoryMb: 0, tasks: 2 } }),
    ]);
    expect(r.placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['t1@n1', 't2@n2']);
  });
});

describe('Placer: why a task no round reached waits', () => {
  it('a task whose required label exists reads the fleet reason', () => {
    const p = placer();
    p.enqueue(demand('t0', { enqueuedAt: 0 }));
    p.enqueue(demand('gpu', { requires: { gpu: 'true' }, enqueuedAt: 1 }));
    p.enqueue(demand('tpu', { requires: { gpu: 'true', tpu: 'v5' }, enqueuedAt: 2 }));
    const r = p.round([nodeView('a', { labels: { gpu: 'true' }, capacity: { cpuPercent: 240, memoryMb: 8192, maxTasks: 1 } })]);
    expect(r.placed.map((x) => x.key)).toEqual(['t0']);
    expect(r.waiting).toEqual([
      { key: 'gpu', reason: 'all 1 available node(s) full' },
      { key: 'tpu', reason: 'no node with label tpu=v5' },
    ]);
  });
});

describe('Placer: preset notes', () => {
  it('the preset gate is told of placements of preset tasks only', () => {
    const noted: unknown[] = [];
    const p = placer({ presetBreakers: { allowance: () => Infinity, describe: () => '', notePlaced: (k) => noted.push(k) } });
    p.enqueue(demand('plain', { enqueuedAt: 0 }));
    p.enqueue(demand('c', { preset: 'codex', enqueuedAt: 1 }));
    expect(p.round([nodeView('n')]).placed.map((x) => x.key)).toEqual(['plain', 'c']);
    expect(noted).toStrictEqual(['codex']);
  });

  it('a task with a preset is placed when no preset gate is configured', () => {
    const p = placer();
    p.enqueue(demand('c', { preset: 'codex' }));
    expect(p.round([nodeView('n')]).placed.map((x) => x.key)).toEqual(['c']);
  });
});
