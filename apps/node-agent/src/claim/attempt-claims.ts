import { attemptKey } from '@shoal/protocol';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** How long a claim is kept (a redelivery of the same work later than this is not expected). */
export const CLAIM_KEEP_MS = 24 * 3_600_000;

/** The attempt key of a claim, `<run>.<task>.<attempt>` (also its file name). Pure. */
export function claimKey(t: { runId: string; taskId: string; attempt: number }): string {
  return attemptKey(t.runId, t.taskId, t.attempt);
}

/**
 * Create-if-absent claims of attempts, `<dataDir>/claims/<run>.<task>.<attempt>` (directory 0700):
 * a node-agent takes an attempt's claim before it starts anything for it, with `O_CREAT|O_EXCL`
 * (`open 'wx'`), so a second delivery of the same work (redelivery, republish, a restart of this
 * node-agent) finds the claim and starts nothing. Synchronous on purpose: taking a claim is one
 * system call, and no other start may slip in between the check and the take.
 *
 * Not fsynced: a node-agent killed with -9 leaves its claims in the page cache; a host that loses
 * power loses its processes too, and then starting the attempt again is right.
 */
export class AttemptClaims {
  private ready = false;

  constructor(readonly dir: string) {}

  private init(): void {
    if (this.ready) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.ready = true;
  }

  /** Takes the claim of `key`; false when it was taken before (the attempt is, or was, started here). */
  take(key: string, now = Date.now()): boolean {
    this.init();
    let fd: number;
    try {
      fd = openSync(join(this.dir, key), 'wx', 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'ENOENT') throw e;
      // the directory went away (removed by hand): made again, the claim taken there
      this.ready = false;
      this.init();
      return this.take(key, now);
    }
    try {
      writeSync(fd, `${process.pid} ${now}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  /** True when `key` is claimed. */
  held(key: string): boolean {
    return existsSync(join(this.dir, key));
  }

  /** Makes sure `key` is claimed and counts as fresh (an attempt re-adopted after a restart). */
  hold(key: string, now = Date.now()): void {
    if (this.take(key, now)) return;
    const t = new Date(now);
    utimesSync(join(this.dir, key), t, t);
  }

  /** Gives a claim back: the attempt did not start, and a redelivery may start it. */
  release(key: string): void {
    rmSync(join(this.dir, key), { force: true });
  }

  /** Every claimed key. */
  keys(): string[] {
    try {
      return readdirSync(this.dir).filter((n) => !n.startsWith('.'));
    } catch {
      return [];
    }
  }

  /**
   * At start, after re-adoption: gives back the claims a previous incarnation took for starts it
   * never completed, i.e. those `accounted` does not name (no attempt record was re-adopted, no
   * report of the attempt's end exists). Their work message was never acked, so JetStream
   * redelivers it, and the redelivery must be able to start the attempt. Returns the keys released.
   */
  releaseUnaccounted(accounted: (key: string) => boolean): string[] {
    const released = this.keys().filter((k) => !accounted(k));
    for (const k of released) this.release(k);
    return released;
  }

  /** Removes claims older than `maxAgeMs` except those `keep` names (running attempts); returns the keys removed. */
  prune(now: number, maxAgeMs = CLAIM_KEEP_MS, keep: (key: string) => boolean = () => false): string[] {
    const removed: string[] = [];
    for (const key of this.keys()) {
      if (keep(key)) continue;
      let mtime: number;
      try {
        mtime = statSync(join(this.dir, key)).mtimeMs;
      } catch {
        continue;
      }
      if (now - mtime <= maxAgeMs) continue;
      this.release(key);
      removed.push(key);
    }
    return removed;
  }
}
