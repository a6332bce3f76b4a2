import type { NodeTable } from './node-table.js';
import type { PlacementGate } from './types.js';

/** Why no node at all takes a new task this round (used for tasks a round never reached). */
export function fleetReason(table: NodeTable, hostCpuHighPercent: number, nodeBreakers?: PlacementGate): string {
  if (table.n === 0) return 'no nodes registered';
  let dead = 0;
  let hot = 0;
  let full = 0;
  const open: number[] = [];
  for (let i = 0; i < table.n; i++) {
    const b = table.block[i];
    if (b === 'dead') dead++;
    else if (b === 'cpu-band') hot++;
    else if (b === 'breaker' || table.trials[i]! < 1) open.push(i);
    else full++;
  }
  const live = table.n - dead;
  if (live === 0) return 'no live nodes';
  if (hot === live) return `all nodes above CPU band (${hostCpuHighPercent}%)`;
  if (full === live) return `all ${full} available node(s) full`;
  if (open.length === live) {
    const first = table.views[open[0]!]!.id;
    const why = nodeBreakers ? nodeBreakers.describe(first) : `circuit open for node ${first}`;
    return live === 1 ? why : `circuit open on all ${live} live nodes (${why})`;
  }
  return `no node takes new tasks (${full} full, ${hot} above CPU band (${hostCpuHighPercent}%), ${open.length} circuit open, ${dead} dead)`;
}
