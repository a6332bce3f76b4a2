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
const why = (nodes: NodeView[], over: Partial<TaskDemand> = {}, breakers?: PlacementGate, described?: PlacementGate) => diagnose(new NodeTable(nodes, 60, breakers), queued(over), 60, described);
const used = (cpuPercent: number, memoryMb: number, tasks = 1) => ({ committed: { cpuPercent, memoryMb, tasks } });

describe('diagnose: the first obstacle, in order', () => {
  it('no nodes at all', () => {
    expect(why([])).toBe('no nodes registered');
  });

  it('a required label no node carries, then labels no node carries together', () => {
    const nodes = [nodeView('a', { labels: { agent: 'codex' } }), nodeView('b', { labels: { repo: 'web' } })];
    expect(why(nodes, { requires: { agent: 'codex', zone: 'x' } })).toBe('no node with label zone=x');
    expect(why(nodes, { requires: { agent: 'codex', repo: 'web' } })).toBe('no node with labels agent=codex,repo=web');
  });

  it('every matching node carries an avoided label, with and without a required one', () => {
    const nodes = [nodeView('a', { labels: { agent: 'codex', gpu: 'no' } }), nodeView('b', { labels: { gpu: 'no', zone: 'x' } })];
    expect(why(nodes, { avoid: { gpu: 'no', zone: 'y' } })).toBe('every node carries an avoided label (gpu=no,zone=y)');
    expect(why(nodes, { requires: { agent: 'codex' }, avoid: { gpu: 'no' } })).toBe('every node with label agent=codex carries an avoided label (gpu=no)');
  });

  it('no live node, said with the label when one was required', () => {
    const nodes = [nodeView('a', { alive: false, labels: { agent: 'codex' } }), nodeView('b', { labels: { agent: 'claude' } })];
    expect(why(nodes, { requires: { agent: 'codex' } })).toBe('no live node with label agent=codex');
    expect(why([nodeView('a', { alive: false })])).toBe('no live nodes');
  });

  it('every live node above the CPU band', () => {
    expect(why([nodeView('a', { hostCpuPercent: 90 }), nodeView('b', { alive: false })])).toBe('all nodes above CPU band (60%)');
    expect(why([nodeView('a', { hostCpuPercent: 90, labels: { k: 'v' } })], { requires: { k: 'v' } })).toBe('all nodes with label k=v above CPU band (60%)');
  });

  it('an open breaker: its own words for one node, a count for several; a used-up half-open node counts as open', () => {
    expect(why([nodeView('a')], {}, gate({ a: 0 }), gate({}))).toBe('breaker of a is open');
    expect(why([nodeView('a')], {}, gate({ a: 0 }))).toBe('circuit open for node a');
    const nodes = [nodeView('b'), nodeView('a'), nodeView('c', { hostCpuPercent: 90 })];
    expect(why(nodes, {}, gate({ a: 0, b: 0.5 }))).toBe('circuit open on all 2 nodes (circuit open for node a)');
    const labelled = [nodeView('a', { labels: { k: 'v' } }), nodeView('b', { labels: { k: 'v' } })];
    expect(why(labelled, { requires: { k: 'v' } }, gate({ a: 0, b: 0 }), gate({}))).toBe('circuit open on all 2 nodes with label k=v (breaker of a is open)');
  });

  it('every node already runs a task of the anti-affinity group', () => {
    const nodes = [nodeView('a', { antiAffinityGroups: ['db'] }), nodeView('b', { antiAffinityGroups: ['web', 'db'] })];
    expect(why(nodes, { antiAffinity: 'db' })).toBe('every node already runs a task of anti-affinity group db');
    expect(why(nodes, { antiAffinity: 'cache', cpuPercent: 999 })).toBe('no node has 999% CPU free (best: a 240%)');
  });

  it('every node at its task limit', () => {
    const full = { committed: { cpuPercent: 0, memoryMb: 0, tasks: 8 } };
    expect(why([nodeView('a', full), nodeView('b', full)])).toBe('all 2 node(s) at their task limit');
  });
});

describe('diagnose: capacity', () => {
  it('names the node with the most free CPU, the first by id on a tie, rounded down', () => {
    const nodes = [nodeView('c', used(100.5, 0)), nodeView('b', used(100.5, 0)), nodeView('a', used(200, 0))];
    expect(why(nodes, { cpuPercent: 150 })).toBe('no node has 150% CPU free (best: b 139%)');
  });

  it('names the node with the most free memory when CPU is there but memory is not', () => {
    const nodes = [nodeView('a', used(0, 8000)), nodeView('b', used(0, 7000)), nodeView('c', used(0, 7000))];
    expect(why(nodes, { memoryMb: 2000 })).toBe('no node has 2000 MB free (best: b 1192 MB)');
  });

  it('when CPU and memory each exist but never on one node, names the node with the most memory and both its figures', () => {
    const nodes = [nodeView('a', used(200, 0)), nodeView('b', used(0, 7000))];
    expect(why(nodes, { cpuPercent: 100, memoryMb: 2000 })).toBe('no node has both 100% CPU and 2000 MB free (most memory: a 40% / 8192 MB)');
  });

  it('never shows a negative figure', () => {
    expect(why([nodeView('a', used(300, 9000))], { cpuPercent: 10 })).toBe('no node has 10% CPU free (best: a 0%)');
    expect(why([nodeView('a', used(0, 9000))], { memoryMb: 10 })).toBe('no node has 10 MB free (best: a 0 MB)');
  });

  it('says where when a label was required', () => {
    expect(why([nodeView('a', { ...used(200, 0), labels: { k: 'v' } })], { requires: { k: 'v' }, cpuPercent: 100 })).toBe('no node with label k=v has 100% CPU free (best: a 40%)');
  });
});

describe('fleetReason: why no node takes a new task', () => {
  const reason = (nodes: NodeView[], breakers?: PlacementGate, described?: PlacementGate) => fleetReason(new NodeTable(nodes, 60, breakers), 60, described);

  it('no nodes, no live nodes, every live node hot', () => {
    expect(reason([])).toBe('no nodes registered');
    expect(reason([nodeView('a', { alive: false }), nodeView('b', { alive: false })])).toBe('no live nodes');
    expect(reason([nodeView('a', { alive: false }), nodeView('b', { hostCpuPercent: 80 })])).toBe('all nodes above CPU band (60%)');
  });

  it('every live node full', () => {
    expect(reason([nodeView('a'), nodeView('b'), nodeView('c', { alive: false })])).toBe('all 2 available node(s) full');
  });

  it('every live node behind an open breaker: its own words for one, a count for several', () => {
    expect(reason([nodeView('a')], gate({ a: 0 }), gate({}))).toBe('breaker of a is open');
    expect(reason([nodeView('a')], gate({ a: 0 }))).toBe('circuit open for node a');
    expect(reason([nodeView('b'), nodeView('a'), nodeView('c', { alive: false })], gate({ a: 0, b: 0.5 }))).toBe('circuit open on all 2 live nodes (circuit open for node a)');
  });

  it('a mix: counts each kind', () => {
    const nodes = [nodeView('a'), nodeView('b', { hostCpuPercent: 80 }), nodeView('c', { alive: false }), nodeView('d'), nodeView('e')];
    expect(reason(nodes, gate({ d: 0 }))).toBe('no node takes new tasks (2 full, 1 above CPU band (60%), 1 circuit open, 1 dead)');
  });
});
