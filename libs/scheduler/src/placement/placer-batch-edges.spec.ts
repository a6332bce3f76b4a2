/**
 * Batch edges that mutation testing showed unobserved (issue 15): a pinned node that left the
 * fleet or runs hot, members that join a held budget taking no room, the queued-member index kept
 * in step by cancelRun, and batch names that are only strings.
 */
import { Placer } from './placer.js';
import { demand, nodeView } from './test-fixtures.js';
import type { NodeView } from './types.js';

/** One task slot, room for one 512 MB budget. */
const oneSlot = (id: string, over: Partial<NodeView> = {}) => nodeView(id, { capacity: { cpuPercent: 100, memoryMb: 600, maxTasks: 1 }, ...over });
/** That node full, holding the budget of these batches. */
const fullHolding = (id: string, batches: string[] = []) => oneSlot(id, { committed: { cpuPercent: 50, memoryMb: 512, tasks: 1, batches } });

/** A placer whose batch r1/docs is pinned to node a. */
function docsPinnedOnA() {
  const p = new Placer({ now: () => 0 });
  p.enqueue(demand('m1', { batch: 'docs' }));
  expect(p.round([oneSlot('a'), fullHolding('b')]).placed.map((x) => x.nodeId)).toEqual(['a']);
  return p;
}

describe('Placer: a batch whose pinned node left the fleet', () => {
  it('is placed afresh and pinned to its new node', () => {
    const p = docsPinnedOnA();
    p.enqueue(demand('m2', { batch: 'docs' }));
    const r = p.round([oneSlot('b')]);
    expect(r.placed).toEqual([expect.objectContaining({ key: 'm2', nodeId: 'b', reason: expect.stringMatching(/, batch docs pinned here$/) })]);
  });

  it('in a full fleet its member reads the fleet reason like every other task', () => {
    const p = docsPinnedOnA();
    p.enqueue(demand('m2', { batch: 'docs' }));
    p.enqueue(demand('plain'));
    const r = p.round([fullHolding('b')]);
    expect(r.placed).toEqual([]);
    expect(r.waiting).toEqual([
      { key: 'm2', reason: 'all 1 available node(s) full' },
      { key: 'plain', reason: 'all 1 available node(s) full' },
    ]);
  });
});

describe('Placer: a full fleet takes only members whose batch holds its budget on their node', () => {
  it('a member pinned to a full node that holds no budget of its batch reads the fleet reason', () => {
    const p = docsPinnedOnA();
    p.enqueue(demand('m2', { batch: 'docs' }));
    const r = p.round([fullHolding('a', ['r1/other']), fullHolding('b')]);
    expect(r.placed).toEqual([]);
    expect(r.waiting).toEqual([{ key: 'm2', reason: 'all 2 available node(s) full' }]);
  });

  it('after cancelRun of another run, the queued members of this run still join their held budget', () => {
    const p = docsPinnedOnA();
    p.enqueue(demand('m2', { batch: 'docs' }));
    p.enqueue(demand('z', { runId: 'r2', batch: 'docs' }));
    expect(p.cancelRun('r2')).toBe(1);
    const r = p.round([fullHolding('a', ['r1/docs']), fullHolding('b')]);
    expect(r.placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['m2@a']);
  });

  it('a key of a cancelled run queued again without a batch is a plain task, not a member of its old batch', () => {
    const p = docsPinnedOnA();
    p.enqueue(demand('k', { batch: 'docs' }));
    expect(p.cancelRun('r1')).toBe(1);
    p.enqueue(demand('m3', { batch: 'docs' }));
    expect(p.round([oneSlot('a'), fullHolding('b')]).placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['m3@a']);
    p.enqueue(demand('k'));
    const r = p.round([fullHolding('a', ['r1/docs']), fullHolding('b')]);
    expect(r.placed).toEqual([]);
    expect(r.waiting).toEqual([{ key: 'k', reason: 'all 2 available node(s) full' }]);
  });

  it('a plain task is no member of a batch named "undefined"', () => {
    const p = new Placer({ now: () => 0 });
    p.enqueue(demand('u1', { batch: 'undefined' }));
    expect(p.round([oneSlot('a')]).placed.map((x) => x.nodeId)).toEqual(['a']);
    p.enqueue(demand('plain'));
    const r = p.round([fullHolding('a', ['r1/undefined'])]);
    expect(r.placed).toEqual([]);
    expect(r.waiting).toEqual([{ key: 'plain', reason: 'all 1 available node(s) full' }]);
  });
});

describe('Placer: joining a held budget', () => {
  it('members joining their batch\'s budget take no room: a plain task still fits next to them', () => {
    const p = new Placer({ now: () => 0 });
    p.enqueue(demand('m1', { batch: 'docs', enqueuedAt: 0 }));
    p.enqueue(demand('m2', { batch: 'docs', enqueuedAt: 1 }));
    p.enqueue(demand('m3', { batch: 'docs', enqueuedAt: 2 }));
    p.enqueue(demand('plain', { enqueuedAt: 3 }));
    const r = p.round([nodeView('a', { capacity: { cpuPercent: 100, memoryMb: 1100, maxTasks: 2 } })]);
    expect(r.placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['m1@a', 'm2@a', 'm3@a', 'plain@a']);
    expect(r.placed[2]!.reason).toBe('spread: a now 50/100% CPU, 512/1100 MB, 1/2 tasks, batch docs (its budget is held there)');
    expect(r.placed[3]!.reason).toBe('spread: a now 100/100% CPU, 1024/1100 MB, 2/2 tasks');
  });

  it('a member waits while its node runs above the CPU band, though its batch holds the budget there', () => {
    const p = docsPinnedOnA();
    p.enqueue(demand('m2', { batch: 'docs' }));
    const hot = nodeView('a', { hostCpuPercent: 80, committed: { cpuPercent: 50, memoryMb: 512, tasks: 1, batches: ['r1/docs'] } });
    const r = p.round([hot, nodeView('b')]);
    expect(r.placed).toEqual([]);
    expect(r.waiting).toEqual([{ key: 'm2', reason: 'batch docs waits for room on its node a' }]);
  });
});

describe('Placer.cancelRun after plain placements', () => {
  it('forgets the pins of that run only, and counts its queued tasks', () => {
    const p = new Placer({ now: () => 0 });
    p.enqueue(demand('plain'));
    p.enqueue(demand('x1', { runId: 'r2', batch: 'b' }));
    expect(p.round([nodeView('a'), nodeView('b', { committed: { cpuPercent: 100, memoryMb: 1024, tasks: 1 } })]).placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['plain@a', 'x1@a']);
    p.enqueue(demand('queued'));
    expect(p.cancelRun('r1')).toBe(1);
    p.enqueue(demand('x2', { runId: 'r2', batch: 'b' }));
    expect(p.round([nodeView('a', { committed: { cpuPercent: 100, memoryMb: 1024, tasks: 2 } }), nodeView('b')]).placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['x2@a']);
  });
});
