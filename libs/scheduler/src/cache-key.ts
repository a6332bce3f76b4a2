import { createHash } from 'node:crypto';
import { ValidationError } from '@shoal/protocol';

/** Everything that determines a cacheable task's result. */
export interface CacheKeyInput {
  /** The argv of the task. */
  command: string[];
  /** Declared key inputs (the plan's `cache.key-inputs`, resolved to values). */
  inputs?: Record<string, string | number | boolean | null>;
  /** Declared files -> their git revision (blob or commit id), resolved by the caller. */
  files?: Record<string, string>;
  cwd?: string;
  env?: Record<string, string>;
  /** Bumped to invalidate every key (e.g. a cache format change). */
  salt?: string;
}

const VERSION = 'shoal-cache-v1';

/**
 * A stable sha256 (64 hex digits) over the command, inputs, file revisions, cwd, env and salt.
 * Object key order does not matter; argv order does. Pure: file revisions are passed in.
 */
export function cacheKey(input: CacheKeyInput): string {
  if (!Array.isArray(input.command) || input.command.length === 0) {
    throw new ValidationError([{ path: 'command', message: 'a cache key needs the argv of the command' }]);
  }
  for (const [path, rev] of Object.entries(input.files ?? {})) {
    if (typeof rev !== 'string' || rev.length === 0) {
      throw new ValidationError([{ path: `files.${path}`, message: 'needs the git revision of the file' }]);
    }
  }
  const canonical = JSON.stringify([
    VERSION,
    input.salt ?? '',
    input.command,
    sortedEntries(input.inputs),
    sortedEntries(input.files),
    input.cwd ?? null,
    sortedEntries(input.env),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** A stored result, as the coordinator keeps it in its cache bucket. */
export interface CachedResult {
  key: string;
  storedAt: number;
}

/** Whether a stored result may be reused. */
export type CacheDecision = { hit: true; reason: string } | { hit: false; reason: string };

/**
 * Decides whether a stored result is a hit: present, for the same key, and younger than the TTL
 * (checked here because per-key TTL is not enforced by every NATS server version).
 */
export function decideCache(key: string, stored: CachedResult | undefined, now: number, ttlMs: number): CacheDecision {
  if (!stored) return { hit: false, reason: 'cache miss: no stored result' };
  if (stored.key !== key) return { hit: false, reason: 'cache miss: stored result is for another key' };
  const age = now - stored.storedAt;
  if (age > ttlMs) return { hit: false, reason: `cache miss: stored result expired (${Math.round(age / 1000)} s old, ttl ${Math.round(ttlMs / 1000)} s)` };
  return { hit: true, reason: `cache hit: result stored ${Math.round(age / 1000)} s ago (key ${key.slice(0, 12)})` };
}

function sortedEntries<V>(obj: Record<string, V> | undefined): [string, V][] {
  if (!obj) return [];
  return Object.keys(obj)
    .sort()
    .map((k) => [k, obj[k]!]);
}
