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
