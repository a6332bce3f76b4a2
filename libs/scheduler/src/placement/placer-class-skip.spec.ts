/**
 * Skipping the tasks of a demand class that failed this round (issue 15): tasks of one class are
 * interchangeable for room, so once one does not fit the others are skipped without heap work —
 * except a batch member, which may join a budget its batch already holds and needs no room.
 */
import { Placer } from './placer.js';
import { demand, nodeView } from './test-fixtures.js';
import type { NodeView } from './types.js';

/** Two task slots, room for one 512 MB budget. */
const twoSlots = (over: Partial<NodeView> = {}) => nodeView('a', { capacity: { cpuPercent: 100, memoryMb: 600, maxTasks: 2 }, ...over });
/** Node a with one slot free, no memory for another budget, holding the budget of batch r1/docs. */
const holdingDocs = () => twoSlots({ committed: { cpuPercent: 50, memoryMb: 512, tasks: 1, batches: ['r1/docs'] } });

/** A placer whose batch `docs` is pinned to node a. */
function docsPinnedOnA() {
  const p = new Placer({ now: () => 0 });
  p.enqueue(demand('m1', { batch: 'docs' }));
  expect(p.round([twoSlots()]).placed.map((x) => x.nodeId)).toEqual(['a']);
  return p;
}

describe('Placer: a batch member joins its held budget though its class failed this round', () => {
  it('an older task of the same class that finds no room does not hold the member back', () => {
    const p = docsPinnedOnA();
    p.enqueue(demand('x', { enqueuedAt: 0 }));
    p.enqueue(demand('m2', { batch: 'docs', enqueuedAt: 1 }));
    const r = p.round([holdingDocs()]);
    expect(r.placed).toEqual([{ key: 'm2', nodeId: 'a', reason: 'spread: a now 50/100% CPU, 512/600 MB, 1/2 tasks, batch docs (its budget is held there)' }]);
    expect(r.waiting).toEqual([{ key: 'x', reason: 'no node has 512 MB free (best: a 88 MB)' }]);
  });

  it('behind several failing tasks of its class, in its own lane and in another run', () => {
    const p = docsPinnedOnA();
    p.enqueue(demand('x0', { enqueuedAt: 0 }));
    p.enqueue(demand('y0', { runId: 'r2', enqueuedAt: 1 }));
    p.enqueue(demand('x1', { enqueuedAt: 2 }));
    p.enqueue(demand('m2', { batch: 'docs', enqueuedAt: 3 }));
    p.enqueue(demand('x2', { enqueuedAt: 4 }));
    const r = p.round([holdingDocs()]);
    expect(r.placed.map((x) => x.key)).toEqual(['m2']);
    expect(r.waiting.map((w) => w.key).sort()).toEqual(['x0', 'x1', 'x2', 'y0']);
  });

  it('a member of a failed class whose batch holds nothing there waits for room on its node', () => {
    const p = docsPinnedOnA();
    p.enqueue(demand('x', { enqueuedAt: 0 }));
    p.enqueue(demand('m2', { batch: 'docs', enqueuedAt: 1 }));
    const r = p.round([twoSlots({ committed: { cpuPercent: 50, memoryMb: 512, tasks: 1 } })]);
    expect(r.placed).toEqual([]);
    expect(r.waiting).toEqual([
      { key: 'x', reason: 'no node has 512 MB free (best: a 88 MB)' },
      { key: 'm2', reason: 'batch docs waits for room on its node a' },
    ]);
  });
});

describe('Placer: the tasks of a failed class are skipped, the others still placed', () => {
  it('a failed class at the head of another run\'s lane is skipped to that lane\'s next task', () => {
    const p = new Placer({ now: () => 0 });
    p.enqueue(demand('huge-a', { runId: 'ra', cpuPercent: 900, enqueuedAt: 0 }));
    p.enqueue(demand('huge-b', { runId: 'rb', cpuPercent: 900, enqueuedAt: 1 }));
    p.enqueue(demand('small-b', { runId: 'rb', cpuPercent: 10, enqueuedAt: 2 }));
    const r = p.round([nodeView('n')]);
    expect(r.placed.map((x) => x.key)).toEqual(['small-b']);
    expect(r.waiting).toEqual([
      { key: 'huge-a', reason: 'no node has 900% CPU free (best: n 240%)' },
      { key: 'huge-b', reason: 'no node has 900% CPU free (best: n 240%)' },
    ]);
  });

  it('a lane that ends in tasks of a failed class is left, and the other lanes go on', () => {
    const p = new Placer({ now: () => 0 });
    p.enqueue(demand('huge0', { runId: 'ra', cpuPercent: 900, enqueuedAt: 0 }));
    p.enqueue(demand('huge1', { runId: 'ra', cpuPercent: 900, enqueuedAt: 1 }));
    p.enqueue(demand('small', { runId: 'rb', cpuPercent: 10, enqueuedAt: 5 }));
    const r = p.round([nodeView('n')]);
    expect(r.placed.map((x) => x.key)).toEqual(['small']);
    expect(r.waiting.map((w) => w.key)).toEqual(['huge0', 'huge1']);
  });

  it('a batch member of a failed class is not tried on other nodes again: the class keeps the reason of its first failure', () => {
    const p = new Placer({ now: () => 0 });
    p.enqueue(demand('x', { cpuPercent: 100, enqueuedAt: 0 }));
    p.enqueue(demand('y', { cpuPercent: 30, enqueuedAt: 1 }));
    p.enqueue(demand('m', { cpuPercent: 100, batch: 'docs', enqueuedAt: 2 }));
    const r = p.round([nodeView('a', { committed: { cpuPercent: 150, memoryMb: 0, tasks: 0 } })]);
    expect(r.placed.map((x) => x.key)).toEqual(['y']);
    expect(r.waiting).toEqual([
      { key: 'x', reason: 'no node has 100% CPU free (best: a 90%)' },
      { key: 'm', reason: 'no node has 100% CPU free (best: a 90%)' },
    ]);
  });
});

describe('Placer: effective priority before run fairness', () => {
  it('higher priority work goes first, though a lower priority task is older and its run placed less', () => {
    const p = new Placer({ now: () => 0 });
    p.enqueue(demand('a0', { runId: 'ra', priority: 5, enqueuedAt: 5 }));
    p.enqueue(demand('a1', { runId: 'ra', priority: 5, enqueuedAt: 6 }));
    p.enqueue(demand('b0', { runId: 'rb', priority: 0, enqueuedAt: 0 }));
    expect(p.round([nodeView('n')]).placed.map((x) => x.key)).toEqual(['a0', 'a1', 'b0']);
  });
});

describe('Placer: a failed class keeps the reason of its first failure', () => {
  it('a batch member of a class that failed for room, stopped later by its used-up preset, leaves the room reason', () => {
    const p = new Placer({
      now: () => 0,
      presetBreakers: { allowance: (k) => (k === 'codex' ? 1 : Infinity), describe: (k) => `circuit half-open for agent preset ${k}`, notePlaced: () => {} },
    });
    p.enqueue(demand('big', { preset: 'codex', cpuPercent: 900, enqueuedAt: 0 }));
    p.enqueue(demand('small', { preset: 'codex', cpuPercent: 10, enqueuedAt: 1 }));
    p.enqueue(demand('m', { preset: 'codex', cpuPercent: 900, batch: 'docs', enqueuedAt: 2 }));
    const r = p.round([nodeView('n')]);
    expect(r.placed.map((x) => x.key)).toEqual(['small']);
    expect(r.waiting).toEqual([
      { key: 'big', reason: 'no node has 900% CPU free (best: n 240%)' },
      { key: 'm', reason: 'no node has 900% CPU free (best: n 240%)' },
    ]);
  });
});
