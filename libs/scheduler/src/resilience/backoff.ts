import { ExponentialBackoff, decorrelatedJitterGenerator, noJitterGenerator, type IBackoff } from 'cockatiel';
import { hashSeed, seededRandom } from './seeded-random.js';

/** How long to wait before retrying a failed attempt. */
export interface BackoffOptions {
  /** First delay (median, with jitter). Default 1 s. */
  initialDelayMs?: number;
  /** Cap on any delay. Default 5 min. */
  maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  exponent?: number;
  /** `decorrelated` (default; cockatiel's decorrelated jitter) or `none` (plain exponential). */
  jitter?: 'decorrelated' | 'none';
  /** Seed of the jitter; with the task key and attempt it makes every delay reproducible. Default 0. */
  seed?: number;
}

/**
 * The delay before the retry that follows failed attempt `failedAttempt` (1-based) of the task `key`.
 * Drives cockatiel's `ExponentialBackoff` step by step (no timers). Its jitter generator calls
 * `Math.random`, which is swapped for a generator seeded from (seed, key) for the duration of this
 * synchronous call, so the same inputs always give the same delay, across restarts too.
 */
export function backoffDelayMs(failedAttempt: number, key: string, opts: BackoffOptions = {}): number {
  const steps = Math.max(1, Math.floor(failedAttempt));
  const backoff = new ExponentialBackoff<unknown>({
    generator: (opts.jitter === 'none' ? noJitterGenerator : decorrelatedJitterGenerator) as never,
    initialDelay: opts.initialDelayMs ?? 1000,
    maxDelay: opts.maxDelayMs ?? 5 * 60_000,
    exponent: opts.exponent ?? 2,
  });
  return withRandom(seededRandom(hashSeed(key, opts.seed ?? 0)), () => {
    let step: IBackoff<unknown> = backoff.next();
    for (let i = 1; i < steps; i++) step = step.next(undefined);
    return Math.round(step.duration);
  });
}

/** A backoff function with the signature the run engine takes (`backoffMs`). */
export function retryBackoff(opts: BackoffOptions = {}): (failedAttempt: number, taskId: string) => number {
  return (failedAttempt, taskId) => backoffDelayMs(failedAttempt, taskId, opts);
}

function withRandom<T>(random: () => number, fn: () => T): T {
  const original = Math.random;
  Math.random = random;
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}
