import { z } from 'zod';

/** An API address other hosts can reach: `http://` or `https://`, then a host (SHOAL_PUBLIC_URL, a lease's url). */
export const HTTP_URL = /^https?:\/\/[^\s/]+/;

/** Key of the leader lease in the topology's `leaderBucket`. */
export const LEADER_KEY = 'leader';

/**
 * The coordinator leader lease, stored under {@link LEADER_KEY}. Written only with KV
 * create-if-absent or compare-and-swap on its revision. `renewedAt` is the holder's wall clock,
 * for people reading it: no replica ever compares it with its own clock (expiry is judged by
 * a candidate watching the revision stand still for `ttlMs` on its own clock).
 */
export const LeaderLease = z.strictObject({
  /** Stable name of the replica (SHOAL_COORDINATOR_ID, default `<hostname>:<port>`). */
  coordinatorId: z.string().min(1).max(256),
  /** Random id of the holder's process: a restarted replica is another instance. */
  instance: z.string().min(1).max(64),
  /** The holder's API as the other replicas reach it (writes are forwarded there). */
  url: z.string().max(2048).regex(HTTP_URL, 'must be an http:// or https:// URL'),
  /** Election term: strictly increases with every change of holder. */
  term: z.number().int().positive(),
  /** Lease period the holder fences itself by; a candidate waits at least this long. */
  ttlMs: z.number().int().positive().max(3_600_000),
  renewedAt: z.number().int().nonnegative(),
  /** Set by a holder that stepped down cleanly: anyone may take the next term at once. */
  released: z.boolean().optional(),
});
export type LeaderLease = z.infer<typeof LeaderLease>;
