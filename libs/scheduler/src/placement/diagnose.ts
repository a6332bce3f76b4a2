import type { NodeTable } from './node-table.js';
import type { PlacementGate } from './types.js';
import type { QueuedTask } from '../queue/task-queue.js';
import { formatPairs } from './labels.js';

/**
 * Explains why no node can take a task right now, naming the first obstacle in the order
 * labels -> liveness -> CPU band -> breaker -> anti-affinity -> capacity.
 */
export function diagnose(table: NodeTable, task: QueuedTask, hostCpuHighPercent: number, nodeBreakers?: PlacementGate): string {
  const d = task.demand;
  const req = task.requiresPairs;
  const where = req.length ? ` with label ${formatPairs(req)}` : '';
  if (table.n === 0) return 'no nodes registered';
  if (req.length) {
    const missing = req.find((p) => table.withLabel(p).length === 0);
    if (missing) return `no node with label ${missing}`;
  }
  const matching = table.matching(req, task.avoidPairs);
  if (matching.length === 0) {
    if (table.matching(req, []).length > 0) return `every node${where} carries an avoided label (${formatPairs(task.avoidPairs)})`;
    return `no node with labels ${formatPairs(req)}`;
  }
  const alive = matching.filter((i) => table.block[i] !== 'dead');
  if (alive.length === 0) return where ? `no live node${where}` : 'no live nodes';
  const cool = alive.filter((i) => table.block[i] !== 'cpu-band');
  if (cool.length === 0) return `all nodes${where} above CPU band (${hostCpuHighPercent}%)`;
  const closed = cool.filter((i) => table.block[i] !== 'breaker' && table.trials[i]! >= 1);
  if (closed.length === 0) {
    const first = table.views[cool[0]!]!.id;
    const why = nodeBreakers ? nodeBreakers.describe(first) : `circuit open for node ${first}`;
    return cool.length === 1 ? why : `circuit open on all ${cool.length} nodes${where} (${why})`;
  }
  const group = d.antiAffinity;
  const free = group === undefined ? closed : closed.filter((i) => !table.hasGroup(group, i));
  if (free.length === 0) return `every node${where} already runs a task of anti-affinity group ${group}`;
  const slots = free.filter((i) => table.freeTasks[i]! >= 1);
  if (slots.length === 0) return `all ${free.length} node(s)${where} at their task limit`;
  return capacityReason(table, slots, d.cpuPercent, d.memoryMb, where);
}

function capacityReason(table: NodeTable, nodes: number[], cpu: number, mem: number, where: string): string {
  const bestOf = (arr: Float64Array) => nodes.reduce((b, i) => (arr[i]! > arr[b]! ? i : b), nodes[0]!);
  const cpuOk = nodes.filter((i) => table.freeCpu[i]! >= cpu);
  const memOk = nodes.filter((i) => table.freeMem[i]! >= mem);
  const fmt = (x: number) => String(Math.max(0, Math.floor(x)));
  if (cpuOk.length === 0) {
    const b = bestOf(table.freeCpu);
    return `no node${where} has ${cpu}% CPU free (best: ${table.views[b]!.id} ${fmt(table.freeCpu[b]!)}%)`;
  }
  if (memOk.length === 0) {
    const b = bestOf(table.freeMem);
    return `no node${where} has ${mem} MB free (best: ${table.views[b]!.id} ${fmt(table.freeMem[b]!)} MB)`;
  }
  const b = bestOf(table.freeMem);
  return `no node${where} has both ${cpu}% CPU and ${mem} MB free (most memory: ${table.views[b]!.id} ${fmt(table.freeCpu[b]!)}% / ${fmt(table.freeMem[b]!)} MB)`;
}
