import { Injectable, Logger } from '@nestjs/common';
import { type CacheHit, type CachedResult, type CompiledTask, cacheKey, decideCache } from '@shoal/scheduler';
import { Metrics } from './metrics.js';
import { NatsGateway } from './nats.gateway.js';

/** What the cache bucket holds per key. */
interface StoredResult extends CachedResult {
  exitCode: number | null;
  outputTail?: string;
  durationMs?: number;
  /** Where it came from, for operators. */
  runId: string;
  taskId: string;
}

/**
 * The result cache of tasks that declare `cache:`. Keys come from `cacheKey()` (command, cwd, env and
 * the declared inputs); values live in the `<ns>_cache` bucket. Freshness is checked here with the
 * task's ttl, because per-key TTL is not enforced by every NATS server.
 */
@Injectable()
export class ResultCache {
  private readonly log = new Logger('cache');

  constructor(
    private readonly nats: NatsGateway,
    private readonly metrics: Metrics,
  ) {}

  /** The cache key of a task, or undefined when it declares no cache. */
  keyOf(task: CompiledTask): string | undefined {
    if (!task.cache) return undefined;
    return cacheKey({
      command: task.command,
      inputs: Object.fromEntries(task.cache.inputs.map((v, i) => [String(i), v])),
      ...(task.cwd ? { cwd: task.cwd } : {}),
      ...(task.env ? { env: task.env } : {}),
    });
  }

  /** A fresh stored result of the task, or undefined (a miss, or a lookup that failed). */
  async lookup(task: CompiledTask): Promise<CacheHit | undefined> {
    const key = this.keyOf(task);
    if (!key || !task.cache) return undefined;
    let stored: StoredResult | undefined;
    try {
      stored = await this.nats.getCached<StoredResult>(key);
    } catch (e) {
      this.log.warn(`cache lookup for ${task.id} failed, running it: ${(e as Error).message}`);
    }
    const d = decideCache(key, stored, Date.now(), task.cache.ttlMs);
    this.metrics.add('cacheLookups', { result: d.hit ? 'hit' : 'miss' });
    if (!d.hit || !stored) return undefined;
    return { reason: d.reason, exitCode: stored.exitCode, ...(stored.outputTail !== undefined ? { outputTail: stored.outputTail } : {}) };
  }

  /** Stores a successful result of a cacheable task. */
  async store(runId: string, task: CompiledTask, r: { exitCode: number | null; outputTail?: string; startedAt?: number; finishedAt: number }): Promise<void> {
    const key = this.keyOf(task);
    if (!key) return;
    const value: StoredResult = {
      key,
      storedAt: Date.now(),
      exitCode: r.exitCode,
      runId,
      taskId: task.id,
      ...(r.outputTail !== undefined ? { outputTail: r.outputTail } : {}),
      ...(r.startedAt !== undefined ? { durationMs: r.finishedAt - r.startedAt } : {}),
    };
    try {
      await this.nats.putCached(key, value);
    } catch (e) {
      this.log.warn(`could not store the result of ${runId}/${task.id}: ${(e as Error).message}`);
    }
  }
}
