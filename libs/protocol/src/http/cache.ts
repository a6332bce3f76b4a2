import { z } from 'zod';
import { durationMs } from '../duration.js';

/**
 * The cache agents share (`/cache/:ns/:key`, `shoal cache`): HTTP shapes, and the pure rules of
 * namespaces, keys, sizes and per-key expiry. Entries live in the `<ns>_cache` KV bucket under
 * `shared.` keys (the task result cache uses the same bucket with hashed keys that never start
 * with `shared.`). nats-server 2.9 has no per-key TTL, so each stored entry carries its expiry:
 * readers treat an expired entry as absent and the leader coordinator sweeps them out.
 */

/** Largest value, in bytes of its JSON text. */
export const MAX_CACHE_VALUE_BYTES = 256 * 1024;
/** TTL of an entry put without one. */
export const DEFAULT_CACHE_TTL_MS = 24 * 3_600_000;
/** Longest TTL (the bucket itself drops anything older than 30 days). */
export const MAX_CACHE_TTL_MS = 7 * 24 * 3_600_000;
/** Most keys one list answer holds. */
export const MAX_CACHE_LIST = 1000;
/** Prefix of the shared cache's KV keys. */
export const SHARED_CACHE_PREFIX = 'shared';

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const KEY = /^[A-Za-z0-9_=-](?:[A-Za-z0-9_=.-]{0,198}[A-Za-z0-9_=-])?$/;
/** What a key may look like, for messages. */
export const CACHE_KEY_FORM = '1-200 of A-Z a-z 0-9 _ - = . (no leading, trailing or double dot)';
/** What a namespace may look like, for messages. */
export const CACHE_NAMESPACE_FORM = '`global`, `run:<id>` or `team:<name>` (id/name: 1-64 of A-Z a-z 0-9 _ -)';

/** A cache namespace: one run's, one team's, or everyone's. */
export type CacheNamespace = { kind: 'global' } | { kind: 'run' | 'team'; id: string };

/** Parses `global`, `run:<id>`, `team:<name>`; undefined when malformed. */
export function parseCacheNamespace(text: string): CacheNamespace | undefined {
  if (text === 'global') return { kind: 'global' };
  const m = /^(run|team):(.+)$/.exec(text);
  if (!m || !NAME.test(m[2]!)) return undefined;
  return { kind: m[1] as 'run' | 'team', id: m[2]! };
}

/** The namespace as written (`run:<id>`). */
export function formatCacheNamespace(ns: CacheNamespace): string {
  return ns.kind === 'global' ? 'global' : `${ns.kind}:${ns.id}`;
}

/** True when `key` is a valid cache key. */
export function isCacheKey(key: string): boolean {
  return KEY.test(key) && !key.includes('..');
}

/** The KV key prefix of a namespace, ending in a dot: `shared.run.<id>.`. */
export function cacheKvPrefix(ns: CacheNamespace): string {
  return ns.kind === 'global' ? `${SHARED_CACHE_PREFIX}.global.` : `${SHARED_CACHE_PREFIX}.${ns.kind}.${ns.id}.`;
}

/** The KV key of an entry. */
export function cacheKvKey(ns: CacheNamespace, key: string): string {
  return `${cacheKvPrefix(ns)}${key}`;
}

/** What the bucket holds per entry. */
export interface StoredCacheEntry {
  /** The value (any JSON). */
  v: unknown;
  /** When it was put (ms since the epoch). */
  at: number;
  /** When it expires (ms since the epoch). */
  exp: number;
  /** Bytes of the value's JSON text. */
  size: number;
}

/** True when an entry has expired at `now` (an entry is live up to, not including, its expiry). */
export function cacheEntryExpired(e: Pick<StoredCacheEntry, 'exp'>, now: number): boolean {
  return now >= e.exp;
}

/** A stored entry read back, or undefined when it is not one (foreign or corrupt data is a miss). */
export function readStoredCacheEntry(data: unknown): StoredCacheEntry | undefined {
  const r = StoredEntry.safeParse(data);
  return r.success ? (r.data as StoredCacheEntry) : undefined;
}
const StoredEntry = z.object({ v: z.unknown(), at: z.number(), exp: z.number(), size: z.number() });

/** The entry to store for a put at `now`, or `tooLarge` with the value's size. */
export function newCacheEntry(value: unknown, ttlMs: number | undefined, now: number): { entry: StoredCacheEntry } | { tooLarge: number } {
  const size = Buffer.byteLength(JSON.stringify(value) ?? 'null');
  if (size > MAX_CACHE_VALUE_BYTES) return { tooLarge: size };
  return { entry: { v: value ?? null, at: now, exp: now + (ttlMs ?? DEFAULT_CACHE_TTL_MS), size } };
}

/** `PUT /cache/:ns/:key` body: any JSON value, and a TTL (seconds, or `30s`, `15m`, `2h`; default 24h, at most 168h). */
export const PutCacheRequest = z.strictObject({
  value: z.unknown().refine((v) => v !== undefined, 'required'),
  ttl: durationMs({ min: 1000, max: MAX_CACHE_TTL_MS }).optional(),
});
export type PutCacheRequest = z.input<typeof PutCacheRequest>;

/** `GET /cache/:ns/:key` and the answer of a put: one live entry. */
export interface CacheEntryView {
  ns: string;
  key: string;
  value: unknown;
  /** Bytes of the value's JSON text. */
  size: number;
  putAt: number;
  expiresAt: number;
}

/** `GET /cache/:ns`: the live keys of a namespace (values left out), sorted. */
export interface CacheListReply {
  ns: string;
  entries: Array<Omit<CacheEntryView, 'value' | 'ns'>>;
  /** True when there were more than {@link MAX_CACHE_LIST}. */
  truncated: boolean;
}

/** `DELETE /cache/:ns/:key`: whether there was a live entry. */
export interface CacheDeleteReply {
  ns: string;
  key: string;
  deleted: boolean;
}
