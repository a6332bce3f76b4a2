import type { DecisionInput } from './actuation-policy.js';

/** A live node as the pool arithmetic sees it. */
export interface PoolNode {
  labels: Record<string, string>;
  /** Tasks placed on it and not finished. */
  tasks: number;
}

/**
 * A fleet-wide decision in terms of the pool an actuator sizes: live nodes outside the pool (those
 * without `label`; none when no label is set) are taken off every count, and the pool's nodes that
 * run tasks are the floor (`busy`).
 */
export function inPoolTerms(d: Required<DecisionInput>, alive: readonly PoolNode[], label?: { key: string; value: string }): { decision: DecisionInput; busy: number } {
  let outside = 0;
  let busy = 0;
  for (const n of alive) {
    if (label && n.labels[label.key] !== label.value) outside++;
    else if (n.tasks > 0) busy++;
  }
  const pool = (x: number) => Math.max(0, x - outside);
  return { decision: { direction: d.direction, desired: pool(d.desired), current: pool(d.current), need: pool(d.need) }, busy };
}
