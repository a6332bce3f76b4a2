import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { ConflictError, TransportError } from '@shoal/protocol';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';

/** How a checked state write retries transient failures. */
export interface StateWriteOptions {
  /** Give up (reject with a TransportError) once this much time has passed since the first try. */
  deadlineMs: number;
  /** First and largest pause between tries. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
}

/**
 * What the stored document shows after a revision conflict: `landed`, it is exactly this write
 * (a timed-out try that was stored all the same): done; `rebase`, it is an earlier write of this
 * writer that was stored late (or the read lags behind the conflict): try again on `revision`;
 * `theirs`, another writer changed it.
 */
export type ConflictVerdict = { kind: 'landed'; revision: number } | { kind: 'rebase'; revision: number } | { kind: 'theirs' };

/** What one compare-and-swap write of a KV document does. */
export interface CasWrite {
  /** What is written, for messages (e.g. `run r-1`). */
  what: string;
  /** Writes; resolves with the new revision; throws on failure (a CAS conflict included). */
  attempt: () => Promise<number>;
  /** Reads the stored document after a conflict; without it every conflict is `theirs`. */
  onConflict?: () => Promise<ConflictVerdict>;
}

/** A conflict that turned out to be this writer's own earlier write: tried again, never reported. */
class Rebased extends Error {
  constructor(revision: number) {
    super(`the document moved to revision ${revision} by an earlier write of ours (or a read lagged); tried again`);
  }
}

/** True for a JetStream "wrong last sequence": the document's revision is not the one expected. */
export function isCasConflict(e: unknown): boolean {
  if (e instanceof JetStreamApiError) return e.code === JetStreamApiCodes.StreamWrongLastSequence || e.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown;
  return /wrong last sequence/i.test((e as Error)?.message ?? '');
}

/** Failures that retrying cannot cure: a conflict, or a missing permission. */
function isPermanent(e: unknown): boolean {
  return e instanceof ConflictError || isCasConflict(e) || /permissions violation|authorization violation/i.test((e as Error)?.message ?? '');
}

/**
 * Runs one compare-and-swap write: transient failures (timeouts, no responders, a server
 * without quorum, a reconnecting client) are retried with exponential backoff until the
 * deadline, then the write rejects with a {@link TransportError}; a revision conflict rejects
 * at once with a {@link ConflictError} (another writer changed the document; it is not
 * overwritten) unless {@link CasWrite.onConflict} shows the stored document is this writer's own.
 * Resolves with the new revision.
 */
export async function casWrite(w: CasWrite, opts: StateWriteOptions): Promise<number> {
  const now = opts.now ?? Date.now;
  const started = now();
  let tries = 0;
  const policy = retry(
    handleWhen((e) => !isPermanent(e) && now() - started < opts.deadlineMs),
    { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: new ExponentialBackoff({ initialDelay: opts.initialDelayMs ?? 100, maxDelay: opts.maxDelayMs ?? 2000 }) },
  );
  try {
    return await policy.execute(async () => {
      tries += 1;
      try {
        return await w.attempt();
      } catch (e) {
        if (!isCasConflict(e) || !w.onConflict) throw e;
        const verdict = await w.onConflict();
        if (verdict.kind === 'landed') return verdict.revision;
        if (verdict.kind === 'rebase') throw new Rebased(verdict.revision);
        throw e;
      }
    });
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    if (isCasConflict(e)) {
      throw new ConflictError(`${w.what} was changed in the KV store by another writer (${msg}); not overwritten`, { cause: e });
    }
    const secs = ((now() - started) / 1000).toFixed(1);
    throw new TransportError(`could not store ${w.what} (${tries} ${tries === 1 ? 'try' : 'tries'} over ${secs} s): ${msg}`, { cause: e });
  }
}
