/**
 * Wait reasons of the placer that more nodes of the pool would not cure: a label no live node
 * carries (the pool's nodes may well not carry it either), an avoided label on every node, a batch
 * pinned to its node, an agent preset whose circuit breaker is open. Kept in step with the placer's
 * wording by room.spec.ts, which produces each reason with the real Placer.
 */
const NOT_ROOM = [/^no node with labels? /, /carries an avoided label/, /^batch \S+ waits for room on its node /, /^circuit (open|half-open) for agent preset /];

/** True when a queued task waiting for `reason` would be placed on one more node like those there are. */
export function waitsForRoom(reason: string): boolean {
  return !NOT_ROOM.some((re) => re.test(reason));
}
