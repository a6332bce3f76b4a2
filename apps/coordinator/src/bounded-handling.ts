/**
 * Calls `handle` for every item of `items` in order, with at most `limit` calls unsettled at
 * once; resolves once the source ends and every call settled. Each call is started as soon as
 * its item arrives and a slot is free, so the synchronous part of the handlers (and every step
 * they take through the same chain of awaits) runs in arrival order. A call that rejects only
 * frees its slot: handlers report their own failures. `limit` 1 handles one item at a time.
 */
export async function handleBounded<T>(items: AsyncIterable<T>, limit: number, handle: (item: T) => Promise<void>): Promise<void> {
  const unsettled = new Set<Promise<void>>();
  try {
    for await (const item of items) {
      while (unsettled.size >= Math.max(1, limit)) await Promise.race(unsettled);
      const call: Promise<void> = handle(item)
        .catch(() => undefined)
        .finally(() => unsettled.delete(call));
      unsettled.add(call);
    }
  } finally {
    await Promise.all(unsettled);
  }
}
