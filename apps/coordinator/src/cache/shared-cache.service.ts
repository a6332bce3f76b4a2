import { type KV, Kvm } from '@nats-io/kv';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit, PayloadTooLargeException } from '@nestjs/common';
import {
  type CacheDeleteReply,
  type CacheEntryView,
  type CacheListReply,
  type CacheNamespace,
  CACHE_KEY_FORM,
  CACHE_NAMESPACE_FORM,
  MAX_CACHE_LIST,
  MAX_CACHE_VALUE_BYTES,
  NotFoundError,
  SHARED_CACHE_PREFIX,
  TransportError,
  ValidationError,
  cacheEntryExpired,
  cacheKvKey,
  cacheKvPrefix,
  formatCacheNamespace,
  isCacheKey,
  newCacheEntry,
  parseCacheNamespace,
  readStoredCacheEntry,
} from '@shoal/protocol';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config.js';
import { LeadershipService } from '../leadership/leadership.service.js';
import { Metrics } from '../metrics.js';
import { NatsGateway } from '../nats.gateway.js';

/**
 * The cache agents share, in the `<ns>_cache` KV bucket under `shared.<kind>[.<id>].<key>`: any
 * replica reads and writes it; expiry is checked on every read (an expired entry is a miss) and
 * the leader deletes expired entries every `SHOAL_CACHE_SWEEP_MS` (config `cacheSweepMs`).
 */
@Injectable()
export class SharedCache implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('shared-cache');
  private kv?: Promise<KV>;
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly nats: NatsGateway,
    private readonly leadership: LeadershipService,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweepIfLeader(), this.config.cacheSweepMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** A live entry; NotFoundError when absent or expired (counted as a miss). */
  async get(nsText: string, key: string): Promise<CacheEntryView> {
    const ns = namespace(nsText);
    checkKey(key);
    const e = await this.bucketCall((kv) => kv.get(cacheKvKey(ns, key)));
    const stored = e && e.operation === 'PUT' ? readStoredCacheEntry(parseJson(e.string())) : undefined;
    if (!stored || cacheEntryExpired(stored, Date.now())) {
      this.metrics.add('sharedCacheLookups', { result: 'miss' });
      throw new NotFoundError(`no entry ${key} in ${nsText}${stored ? ' (expired)' : ''}`);
    }
    this.metrics.add('sharedCacheLookups', { result: 'hit' });
    return { ns: nsText, key, value: stored.v, size: stored.size, putAt: stored.at, expiresAt: stored.exp };
  }

  /** Stores (replaces) an entry; 413 when the value's JSON is over {@link MAX_CACHE_VALUE_BYTES}. */
  async put(nsText: string, key: string, value: unknown, ttlMs: number | undefined): Promise<CacheEntryView> {
    const ns = namespace(nsText);
    checkKey(key);
    const made = newCacheEntry(value, ttlMs, Date.now());
    if ('tooLarge' in made) {
      this.metrics.add('sharedCacheWrites', { result: 'too_large' });
      throw new PayloadTooLargeException(`the value is ${made.tooLarge} bytes of JSON; the shared cache takes at most ${MAX_CACHE_VALUE_BYTES} (256 KiB) per entry`);
    }
    await this.bucketCall((kv) => kv.put(cacheKvKey(ns, key), JSON.stringify(made.entry)));
    this.metrics.add('sharedCacheWrites', { result: 'stored' });
    const { entry } = made;
    return { ns: nsText, key, value: entry.v, size: entry.size, putAt: entry.at, expiresAt: entry.exp };
  }

  /** Deletes an entry; `deleted` says whether a live one was there. */
  async delete(nsText: string, key: string): Promise<CacheDeleteReply> {
    const ns = namespace(nsText);
    checkKey(key);
    const k = cacheKvKey(ns, key);
    const e = await this.bucketCall((kv) => kv.get(k));
    const stored = e && e.operation === 'PUT' ? readStoredCacheEntry(parseJson(e.string())) : undefined;
    if (e && e.operation === 'PUT') await this.bucketCall((kv) => kv.delete(k));
    return { ns: nsText, key, deleted: !!stored && !cacheEntryExpired(stored, Date.now()) };
  }

  /** The live keys of a namespace, sorted, at most {@link MAX_CACHE_LIST}. */
  async list(nsText: string): Promise<CacheListReply> {
    const ns = namespace(nsText);
    const prefix = cacheKvPrefix(ns);
    const now = Date.now();
    const entries: CacheListReply['entries'] = [];
    let truncated = false;
    for (const k of (await this.keys(`${prefix}>`)).sort()) {
      const key = k.slice(prefix.length);
      // `global.` keys may hold dots; a run/team prefix never matches another namespace's keys
      if (!isCacheKey(key)) continue;
      const e = await this.bucketCall((kv) => kv.get(k));
      const stored = e && e.operation === 'PUT' ? readStoredCacheEntry(parseJson(e.string())) : undefined;
      if (!stored || cacheEntryExpired(stored, now)) continue;
      if (entries.length === MAX_CACHE_LIST) {
        truncated = true;
        break;
      }
      entries.push({ key, size: stored.size, putAt: stored.at, expiresAt: stored.exp });
    }
    return { ns: formatCacheNamespace(ns), entries, truncated };
  }

  /** Deletes every expired entry (only the leader does, every sweep interval); returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const k of await this.keys(`${SHARED_CACHE_PREFIX}.>`)) {
      const e = await this.bucketCall((kv) => kv.get(k));
      if (!e || e.operation !== 'PUT') continue;
      const stored = readStoredCacheEntry(parseJson(e.string()));
      if (stored && !cacheEntryExpired(stored, now)) continue;
      try {
        // only the revision read: an entry put again meanwhile stays
        await this.bucketCall((kv) => kv.delete(k, { previousSeq: e.revision }));
        removed += 1;
      } catch (err) {
        if (!/wrong last sequence/i.test((err as Error).message)) throw err;
      }
    }
    if (removed) this.metrics.add('sharedCacheExpired', {}, removed);
    return removed;
  }

  private async sweepIfLeader(): Promise<void> {
    if (this.sweeping || !this.leadership.active || !this.nats.connected) return;
    this.sweeping = true;
    try {
      const n = await this.sweep();
      if (n) this.log.log(`swept ${n} expired shared-cache entr${n === 1 ? 'y' : 'ies'}`);
    } catch (e) {
      this.log.warn(`shared-cache sweep failed (next one in ${this.config.cacheSweepMs / 1000} s): ${(e as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }

  private async keys(filter: string): Promise<string[]> {
    return this.bucketCall(async (kv) => {
      const out: string[] = [];
      for await (const k of await kv.keys(filter)) out.push(k);
      return out;
    });
  }

  /** Runs a bucket operation; NATS trouble becomes a TransportError (503 + Retry-After). */
  private async bucketCall<T>(fn: (kv: KV) => Promise<T>): Promise<T> {
    try {
      this.kv ??= new Kvm(this.nats.connection).open(this.nats.topo.cacheBucket);
      return await fn(await this.kv);
    } catch (e) {
      if (e instanceof Error && /wrong last sequence/i.test(e.message)) throw e;
      if (e instanceof TransportError) throw e;
      this.kv = undefined;
      throw new TransportError(`the shared cache is unavailable: ${(e as Error).message}`, { cause: e });
    }
  }
}

/**
 * The JSON of a put body: the coordinator's body parser hands bodies over 64 KiB to the handler
 * as text (see json-body.ts); such text is parsed here, unless it is too large to hold a value
 * the cache would take (413 without parsing it).
 */
export function putBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  const bytes = Buffer.byteLength(body);
  if (bytes > MAX_CACHE_VALUE_BYTES + 4096) throw new PayloadTooLargeException(`the request body is ${bytes} bytes; the shared cache takes at most ${MAX_CACHE_VALUE_BYTES} (256 KiB) per entry`);
  const parsed = parseJson(body);
  if (parsed === undefined) throw new ValidationError([{ path: '', message: 'the body is not JSON' }]);
  return parsed;
}

function namespace(text: string): CacheNamespace {
  const ns = parseCacheNamespace(text);
  if (!ns) throw new ValidationError([{ path: 'ns', message: `must be ${CACHE_NAMESPACE_FORM}` }]);
  return ns;
}

function checkKey(key: string): void {
  if (!isCacheKey(key)) throw new ValidationError([{ path: 'key', message: `must be ${CACHE_KEY_FORM}` }]);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
