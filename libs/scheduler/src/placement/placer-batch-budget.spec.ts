/**
 * One budget per batch (issue 11): the members of a batch on one node run in one session, so the
 * ledger counts them once and the placer lets a member join where its batch holds the budget.
 */
import { commitments } from '../batches.js';
import { Placer } from './placer.js';
import { demand, nodeView } from './test-fixtures.js';

/** Room for exactly one 512 MB task. */
const small = (id: string, over: Parameters<typeof nodeView>[1] = {}) => nodeView(id, { capacity: { cpuPercent: 100, memoryMb: 600, maxTasks: 1 }, ...over });

describe('commitments: the ledger counts a batch once per node', () => {
  it('sums plain tasks, counts the members of one batch on one node once, and lists the batch', () => {
    const c = commitments([
      { nodeId: 'a', runId: 'r1', cpuPercent: 50, memoryMb: 512 },
      { nodeId: 'a', runId: 'r1', batch: 'docs', cpuPercent: 50, memoryMb: 384 },
      { nodeId: 'a', runId: 'r1', batch: 'docs', cpuPercent: 50, memoryMb: 384 },
      { nodeId: 'a', runId: 'r1', batch: 'docs', cpuPercent: 50, memoryMb: 384 },
      { nodeId: 'b', runId: 'r1', batch: 'docs', cpuPercent: 50, memoryMb: 384 },
      { nodeId: 'a', runId: 'r2', batch: 'docs', cpuPercent: 50, memoryMb: 384 },
    ]);
    expect(Object.fromEntries(c)).toEqual({
      a: { cpuPercent: 150, memoryMb: 1280, tasks: 3, batches: ['r1/docs', 'r2/docs'] },
      b: { cpuPercent: 50, memoryMb: 384, tasks: 1, batches: ['r1/docs'] },
    });
  });

  it('is empty with nothing in flight', () => {
    expect(commitments([]).size).toBe(0);
  });
});

describe('Placer: one budget per batch', () => {
  it('places every member of a batch in one round on a node with room for one budget', () => {
    const p = new Placer({ now: () => 0 });
    for (const k of ['m1', 'm2', 'm3']) p.enqueue(demand(k, { batch: 'docs' }));
    const r = p.round([small('a')]);
    expect(r.placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['m1@a', 'm2@a', 'm3@a']);
    expect(r.placed[1]!.reason).toMatch(/, batch docs \(its budget is held there\)$/);
  });

  it('a later member joins where the ledger says its batch holds the budget, though the node is full', () => {
    const clock = { t: 0 };
    const p = new Placer({ now: () => clock.t });
    p.enqueue(demand('m1', { batch: 'docs' }));
    expect(p.round([small('a')]).placed.map((x) => x.nodeId)).toEqual(['a']);
    clock.t = 1000;
    p.enqueue(demand('m2', { batch: 'docs', enqueuedAt: clock.t }));
    const full = { cpuPercent: 50, memoryMb: 512, tasks: 1, batches: ['r1/docs'] };
    expect(p.round([small('a', { committed: full })]).placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['m2@a']);
  });

  it('a member waits for room when its batch holds no budget on the full pinned node any more (not moving to a node with room)', () => {
    const clock = { t: 0 };
    const p = new Placer({ now: () => clock.t });
    p.enqueue(demand('m1', { batch: 'docs' }));
    p.round([small('a'), small('b', { committed: { cpuPercent: 50, memoryMb: 512, tasks: 1 } })]);
    p.enqueue(demand('m2', { batch: 'docs' }));
    const r = p.round([small('a', { committed: { cpuPercent: 50, memoryMb: 512, tasks: 1, batches: ['r1/other'] } }), small('b')]);
    expect(r.placed).toEqual([]);
    expect(r.waiting).toEqual([{ key: 'm2', reason: 'batch docs waits for room on its node a' }]);
  });

  it('a full fleet places only the members joining a held budget, and explains the others as before', () => {
    const p = new Placer({ now: () => 0 });
    p.enqueue(demand('m1', { batch: 'docs' }));
    p.round([small('a')]);
    p.enqueue(demand('plain'));
    p.enqueue(demand('m2', { batch: 'docs' }));
    p.enqueue(demand('o1', { batch: 'other' }));
    const r = p.round([small('a', { committed: { cpuPercent: 50, memoryMb: 512, tasks: 1, batches: ['r1/docs'] } })]);
    expect(r.placed.map((x) => x.key)).toEqual(['m2']);
    expect(r.waiting.map((w) => w.key).sort()).toEqual(['o1', 'plain']);
    expect(new Set(r.waiting.map((w) => w.reason)).size).toBe(1);
  });

  it('the same batch name in another run holds nothing for this one', () => {
    const p = new Placer({ now: () => 0 });
    p.enqueue(demand('x1', { runId: 'r2', batch: 'docs' }));
    p.enqueue(demand('x2', { runId: 'r2', batch: 'docs' }));
    const r = p.round([small('a', { committed: { cpuPercent: 50, memoryMb: 512, tasks: 1, batches: ['r1/docs'] } }), small('b')]);
    expect(r.placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['x1@b', 'x2@b']);
  });

  it('a held member still needs its required labels on the pinned node', () => {
    const p = new Placer({ now: () => 0 });
    p.enqueue(demand('m1', { batch: 'docs' }));
    p.round([small('a')]);
    p.enqueue(demand('m2', { batch: 'docs', requires: { gpu: 'true' } }));
    const r = p.round([small('a', { committed: { cpuPercent: 50, memoryMb: 512, tasks: 1, batches: ['r1/docs'] } })]);
    expect(r.placed).toEqual([]);
  });
});
