/** Label selectors: canonical signatures and human readable forms. */

/** A selector as sorted `k=v` pairs, or an empty array. */
export function selectorPairs(selector: Record<string, string> | undefined): string[] {
  if (!selector) return [];
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]}`);
}

/** `agent=codex` or `agent=codex,repo=web`. */
export function formatPairs(pairs: string[]): string {
  return pairs.join(',');
}

/** True when the node labels carry every pair of the selector. */
export function matchesAll(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

/** True when the node labels carry at least one pair of the selector. */
export function matchesAny(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  for (const k in selector) if (labels[k] === selector[k]) return true;
  return false;
}
