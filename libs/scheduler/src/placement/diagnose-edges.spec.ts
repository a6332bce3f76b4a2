import type { QueuedTask } from '../queue/task-queue.js';
import { diagnose } from './diagnose.js';
import { fleetReason } from './fleet-reason.js';
import { selectorPairs } from './labels.js';
import { NodeTable } from './node-table.js';
import { demand, nodeView } from './test-fixtures.js';
import type { NodeView, PlacementGate, TaskDemand } from './types.js';

function queued(over: Partial<TaskDemand> = {}): QueuedTask {
  const d = demand('t', over);
  return { demand: d, seq: 0, explicitRound: -1, explicitReason: '', requiresPairs: selectorPairs(d.requires), avoidPairs: selectorPairs(d.avoid), preferPairs: [], classId: 0, removed: false };
}

const gate = (allow: Record<string, number>): PlacementGate => ({ allowance: (k) => allow[k] ?? Infinity, describe: (k) => `breaker of ${k} is open`, notePlaced: () => undefined });
const why = (nodes: NodeView[], over: Partial<TaskDemand> = {}, breakers?: PlacementGate) => diagnose(new NodeTable(nodes, 60, breakers), queued(over), 60, breakers);
const used = (cpuPercent: number, memoryMb: number, tasks = 1) => ({ committed: { cpuPercent, memoryMb, tasks } });

describe('diagnose: obstacles at their exact edge', () => {
  it('does not call a half-open breaker with exactly one trial left open: it names the capacity instead', () => {
    expect(why([nodeView('a')], { cpuPercent: 500 }, gate({ a: 1 }))).toBe('no node has 500% CPU free (best: a 240%)');
  });

  it('does not count a node in a group named "undefined" against a task without anti-affinity', () => {
    expect(why([nodeView('a', { antiAffinityGroups: ['undefined'] })], { cpuPercent: 500 })).toBe('no node has 500% CPU free (best: a 240%)');
  });

  it('does not call a node with exactly one free task slot at its task limit', () => {
    expect(why([nodeView('a', used(0, 0, 7))], { cpuPercent: 500 })).toBe('no node has 500% CPU free (best: a 240%)');
  });

  it('counts a node with exactly the CPU asked free as having the CPU', () => {
    const nodes = [nodeView('a', used(190, 8000)), nodeView('b', used(240, 0))];
    expect(why(nodes)).toBe('no node has both 50% CPU and 512 MB free (most memory: b 0% / 8192 MB)');
  });

  it('counts a node with exactly the memory asked free as having the memory', () => {
    const nodes = [nodeView('a', used(0, 8000)), nodeView('b', used(240, 7680))];
    expect(why(nodes)).toBe('no node has both 50% CPU and 512 MB free (most memory: b 0% / 512 MB)');
  });
});

describe('fleetReason: a half-open breaker', () => {
  it('is not circuit open while it has exactly one trial left', () => {
    const t = new NodeTable([nodeView('a'), nodeView('b')], 60, gate({ a: 1, b: 0 }));
    expect(fleetReason(t, 60, gate({ a: 1, b: 0 }))).toBe('no node takes new tasks (1 full, 0 above CPU band (60%), 1 circuit open, 0 dead)');
  });
});
