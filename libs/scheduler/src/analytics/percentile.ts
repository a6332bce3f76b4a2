/**
 * Nearest-rank percentile of values already sorted ascending: the smallest value such that at
 * least `p` percent of the values are less than or equal to it. Undefined for no values.
 */
export function percentileOfSorted(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)];
}

/** A ratio `part / whole` in 0..1; undefined when `whole` is 0. */
export function ratio(part: number, whole: number): number | undefined {
  return whole > 0 ? Math.min(1, Math.max(0, part / whole)) : undefined;
}
