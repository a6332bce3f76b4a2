/**
 * Batch pins across placement rounds (issue 15): a batch keeps its node from one round to the
 * next, a pin unused for more than 10 minutes is forgotten, and cancelling a run forgets its pins.
 */
import { Placer } from './placer.js';
import { demand, nodeView } from './test-fixtures.js';
import type { NodeView } from './types.js';

const MINUTE = 60_000;

/** Node `a` is busier than `b`, so spread would pick `b` for an unpinned task. */
const busyA = (): NodeView[] => [nodeView('a', { committed: { cpuPercent: 100, memoryMb: 1024, tasks: 1 } }), nodeView('b')];

function pinnedOnA() {
  const clock = { t: 0 };
  const p = new Placer({ now: () => clock.t });
  p.enqueue(demand('first', { batch: 'b1' }));
  const r = p.round([nodeView('a'), nodeView('b', { committed: { cpuPercent: 100, memoryMb: 1024, tasks: 1 } })]);
  expect(r.placed).toEqual([expect.objectContaining({ key: 'first', nodeId: 'a', reason: expect.stringMatching(/, batch b1 pinned here$/) })]);
  return { p, clock };
}

describe('Placer: batch pins across rounds', () => {
  it('a later task of the batch goes to the pinned node in a later round, though spread would pick another', () => {
    const { p, clock } = pinnedOnA();
    clock.t = 5 * MINUTE;
    p.enqueue(demand('second', { batch: 'b1', enqueuedAt: clock.t }));
    const r = p.round(busyA());
    expect(r.placed).toEqual([expect.objectContaining({ key: 'second', nodeId: 'a', reason: expect.stringMatching(/, batch b1$/) })]);
  });

  it('each use renews the pin: used at 8 and 16 minutes, it still holds at 24', () => {
    const { p, clock } = pinnedOnA();
    for (const [i, minutes] of [8, 16, 24].entries()) {
      clock.t = minutes * MINUTE;
      p.enqueue(demand(`t${i}`, { batch: 'b1', enqueuedAt: clock.t }));
      expect(p.round(busyA()).placed.map((x) => x.nodeId)).toEqual(['a']);
    }
  });

  it('a pin unused for exactly 10 minutes is kept', () => {
    const { p, clock } = pinnedOnA();
    clock.t = 10 * MINUTE;
    expect(p.round(busyA()).placed).toEqual([]);
    p.enqueue(demand('second', { batch: 'b1', enqueuedAt: clock.t }));
    expect(p.round(busyA()).placed.map((x) => x.nodeId)).toEqual(['a']);
  });

  it('a pin unused for more than 10 minutes is forgotten at the end of a round: the batch is placed afresh and pinned again', () => {
    const { p, clock } = pinnedOnA();
    clock.t = 10 * MINUTE + 1;
    expect(p.round(busyA()).placed).toEqual([]);
    p.enqueue(demand('second', { batch: 'b1', enqueuedAt: clock.t }));
    const r = p.round(busyA());
    expect(r.placed).toEqual([expect.objectContaining({ key: 'second', nodeId: 'b', reason: expect.stringMatching(/, batch b1 pinned here$/) })]);
  });

  it('cancelRun forgets the pins of that run only', () => {
    const clock = { t: 0 };
    const p = new Placer({ now: () => clock.t });
    p.enqueue(demand('x1', { runId: 'r1', batch: 'b' }));
    p.enqueue(demand('y1', { runId: 'r10', batch: 'b' }));
    const first = p.round([nodeView('a'), nodeView('b', { committed: { cpuPercent: 100, memoryMb: 1024, tasks: 1 } })]);
    expect(first.placed.map((x) => `${x.key}@${x.nodeId}`)).toEqual(['x1@a', 'y1@a']);
    expect(p.cancelRun('r1')).toBe(0);
    p.enqueue(demand('x2', { runId: 'r1', batch: 'b' }));
    p.enqueue(demand('y2', { runId: 'r10', batch: 'b' }));
    const r = p.round(busyA());
    expect(r.placed.map((x) => `${x.key}@${x.nodeId}`).sort()).toEqual(['x2@b', 'y2@a']);
  });

  it('a pin to a node whose breaker is open is dropped and the batch moves to another node', () => {
    const clock = { t: 0 };
    const open = new Set<string>();
    const p = new Placer({
      now: () => clock.t,
      nodeBreakers: { allowance: (id) => (open.has(id) ? 0 : Infinity), describe: (id) => `circuit open for node ${id}`, notePlaced: () => {} },
    });
    p.enqueue(demand('first', { batch: 'b1' }));
    expect(p.round([nodeView('a'), nodeView('b', { committed: { cpuPercent: 100, memoryMb: 1024, tasks: 1 } })]).placed[0]!.nodeId).toBe('a');
    open.add('a');
    p.enqueue(demand('second', { batch: 'b1' }));
    const r = p.round([nodeView('a'), nodeView('b')]);
    expect(r.placed).toEqual([expect.objectContaining({ key: 'second', nodeId: 'b', reason: expect.stringMatching(/pinned here$/) })]);
    open.delete('a');
    p.enqueue(demand('third', { batch: 'b1' }));
    expect(p.round([nodeView('a'), nodeView('b', { committed: { cpuPercent: 100, memoryMb: 1024, tasks: 1 } })]).placed[0]!.nodeId).toBe('b');
  });

  it('a pinned node that lacks a required label of the task makes the task wait for it', () => {
    const { p } = pinnedOnA();
    p.enqueue(demand('gpu', { batch: 'b1', requires: { gpu: 'true' } }));
    const r = p.round([nodeView('a'), nodeView('b', { labels: { gpu: 'true' } })]);
    expect(r.placed).toEqual([]);
    expect(r.waiting).toEqual([{ key: 'gpu', reason: 'batch b1 waits for room on its node a' }]);
  });
});
