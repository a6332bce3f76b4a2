import { NodeTable } from './node-table.js';
import { gate, members, nodeView } from './test-fixtures.js';

const used = (cpuPercent: number, memoryMb: number, tasks: number) => ({ committed: { cpuPercent, memoryMb, tasks } });

describe('NodeTable: room on a node, at the exact edge', () => {
  it('fits a task on the last free slot, but not on a node with no free slot', () => {
    const t = new NodeTable([nodeView('a', used(0, 0, 7)), nodeView('b', used(0, 0, 8))], 60);
    expect(t.fits(0, 50, 512, undefined)).toBe(true);
    expect(t.fits(1, 50, 512, undefined)).toBe(false);
  });

  it('fits a task on a half-open breaker with exactly one trial left', () => {
    const t = new NodeTable([nodeView('a')], 60, gate({ a: 1 }));
    expect(t.fits(0, 50, 512, undefined)).toBe(true);
  });

  it('fits and picks a demand taking exactly the free CPU, and exactly the free memory', () => {
    const t = new NodeTable([nodeView('a', used(190, 0, 0)), nodeView('b', used(0, 7680, 0))], 60);
    expect(t.fits(0, 50, 512, undefined)).toBe(true);
    expect(t.fits(1, 50, 512, undefined)).toBe(true);
    const cpu = new NodeTable([nodeView('a', used(190, 0, 0))], 60);
    expect(cpu.pick(cpu.candidates([], []), 50, 512, undefined, 'spread')).toBe(0);
    const mem = new NodeTable([nodeView('a', used(0, 7680, 0))], 60);
    expect(mem.pick(mem.candidates([], []), 50, 512, undefined, 'spread')).toBe(0);
  });

  it('lets a task without anti-affinity onto a node in a group named "undefined"', () => {
    const t = new NodeTable([nodeView('a', { antiAffinityGroups: ['undefined'] })], 60);
    expect(t.fits(0, 50, 512, undefined)).toBe(true);
    expect(t.pick(t.candidates([], []), 50, 512, undefined, 'spread')).toBe(0);
    expect(t.fits(0, 50, 512, 'undefined')).toBe(false);
  });

  it('puts a node in no group when it commits a task without anti-affinity', () => {
    const t = new NodeTable([nodeView('a')], 60);
    t.commit(0, 50, 512, undefined);
    expect(t.hasGroup('undefined', 0)).toBe(false);
    expect(t.fits(0, 50, 512, 'undefined')).toBe(true);
  });

  it('keeps a node open while its breaker still admits one more trial', () => {
    const t = new NodeTable([nodeView('a')], 60, gate({ a: 2 }));
    expect(t.openNodes).toBe(1);
    t.commit(0, 50, 512, undefined);
    expect(t.openNodes).toBe(1);
    t.commit(0, 50, 512, undefined);
    expect(t.openNodes).toBe(0);
  });

  it('keeps a node that has exactly the smallest queued demand free among the candidates', () => {
    const t = new NodeTable([nodeView('a', used(190, 0, 0)), nodeView('b', used(0, 7680, 0)), nodeView('c', used(191, 0, 0))], 60);
    t.floorCpu = 50;
    t.floorMem = 512;
    expect(members(t.candidates([], []))).toEqual([0, 1]);
  });
});

describe('NodeTable: candidate lists per selector', () => {
  it('keeps a required pair and an avoided pair apart', () => {
    const t = new NodeTable([nodeView('a', { labels: { gpu: 'yes' } }), nodeView('b')], 60);
    expect(members(t.candidates(['gpu=yes'], []))).toEqual([0]);
    expect(members(t.candidates([], ['gpu=yes']))).toEqual([1]);
  });

  it('keeps two avoid lists apart even when their pairs run together into one pair', () => {
    const t = new NodeTable([nodeView('a', { labels: { x: '1' } }), nodeView('b', { labels: { x: '1y=2' } })], 60);
    expect(members(t.candidates([], ['x=1', 'y=2']))).toEqual([1]);
    expect(members(t.candidates([], ['x=1y=2']))).toEqual([0]);
  });

  it('moves a node only within the lists it belongs to when a task is committed to it', () => {
    const t = new NodeTable([nodeView('a', { labels: { zone: 'x' } }), nodeView('b', { labels: { zone: 'y' } })], 60);
    const x = t.candidates(['zone=x'], []);
    const y = t.candidates(['zone=y'], []);
    t.commit(0, 50, 512, undefined);
    expect(members(x)).toEqual([0]);
    expect(members(y)).toEqual([1]);
    expect(y.has(0)).toBe(false);
  });
});
