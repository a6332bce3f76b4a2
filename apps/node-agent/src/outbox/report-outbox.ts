import type { TaskFinished, TaskStatus } from '@shoal/protocol';
import { type ReportRef, outboxFileName } from './outbox-entry.js';
import { OutboxStore } from './outbox-store.js';

/** Default bound of the outbox: reports kept on disk at once. */
export const OUTBOX_CAP = 10_000;
/** How long the tombstone of a delivered report is kept (a second path reporting it later is recognised). */
export const SENT_KEEP_MS = 24 * 3_600_000;

/** What the outbox needs from the node-agent. */
export interface ReportOutboxDeps {
  /** `<dataDir>/outbox`. */
  dir: string;
  /** Publishes to JetStream with the report's msg id; resolves on the server's ack (`duplicate`: already stored). */
  publish(s: TaskStatus): Promise<{ duplicate: boolean }>;
  now(): number;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Reports on disk at most (default {@link OUTBOX_CAP}); beyond it reports wait in memory, loudly. */
  cap?: number;
  /** Retry delay after a failed publish: from `firstMs`, doubling up to `maxMs` (default 200 ms to 2 s). */
  retry?: { firstMs: number; maxMs: number };
  /** A failing bus is reported at most this often (default 30 s). */
  warnEveryMs?: number;
}

/** How {@link ReportOutbox.put} took a report. */
export type PutResult =
  /** On disk (fsynced): delivered even if this node-agent dies now. */
  | 'durable'
  /** Already pending or already delivered (same attempt, same kind): not queued again. */
  | 'duplicate'
  /** Kept in memory only (outbox full, or the disk write failed): delivered unless the node-agent dies. */
  | 'memory';

/** Figures of the outbox (heartbeat, logs, tests). */
export interface OutboxCounters {
  delivered: number;
  /** Reports JetStream already had (msg-id dedupe): a report published before, whose ack was lost. */
  alreadyStored: number;
  /** Second reports of an attempt and kind, recognised and not sent. */
  duplicates: number;
  quarantined: number;
  /** Reports that could not go to disk (outbox full or write failed). */
  memoryOnly: number;
}

interface Item {
  name: string;
  ref: ReportRef;
  seq: number;
  /** Resolves once the report is on disk (or known not to be). */
  ready: Promise<void>;
  /** Set when the report is not on disk (kept in memory). */
  status?: TaskStatus;
  /** JetStream acked it (its file is being moved to sent/). */
  delivered?: boolean;
}

/**
 * The node's durable outbox of status reports (task.started, task.finished). A report is first
 * written to disk (one file per report, named after its attempt and kind), then published to
 * JetStream with its msg id; its file leaves the outbox only after the server acknowledged it.
 * One drainer publishes in order (the order reports were put, across restarts), retrying with
 * backoff while the bus is away, and at once when {@link kick}ed (reconnect). Bounded by `cap`;
 * a corrupt file is moved to `quarantine/` and counted, never fatal.
 */
export class ReportOutbox {
  private readonly store: OutboxStore;
  private readonly queue: Item[] = [];
  /** Names pending or delivered (tombstones): a second report of the same attempt and kind is not sent. */
  private readonly known = new Set<string>();
  private onDisk = 0;
  private seq = 0;
  private opened = false;
  private running = false;
  private stopped = false;
  private wakeUp?: () => void;
  private kicked = false;
  /** Gives up waiting for the publish in flight (set while one is). */
  private abandon?: () => void;
  private failingSince?: number;
  private lastWarn = 0;
  private readonly emptied: (() => void)[] = [];
  readonly counters: OutboxCounters = { delivered: 0, alreadyStored: 0, duplicates: 0, quarantined: 0, memoryOnly: 0 };

  constructor(private readonly deps: ReportOutboxDeps) {
    this.store = new OutboxStore(deps.dir);
  }

  /** Reports not yet acknowledged by JetStream. */
  get depth(): number {
    return this.queue.length;
  }

  /**
   * Loads what a previous incarnation left: pending reports queued in their order, tombstones
   * remembered (older than a day pruned), unreadable files quarantined and counted. Call once,
   * before the first {@link put}.
   */
  async open(): Promise<void> {
    await this.store.init();
    const now = this.deps.now();
    await this.store.pruneSent(now, SENT_KEEP_MS);
    const found = await this.store.scan(now);
    for (const q of found.quarantined) this.deps.error(`outbox: ${q.name} is unreadable (${q.error}); moved to ${this.store.quarantineDir}`);
    this.counters.quarantined += found.quarantined.length;
    for (const name of found.sent) this.known.add(name);
    found.pending.sort((a, b) => a.entry.seq - b.entry.seq);
    for (const p of found.pending) {
      this.known.add(p.name);
      this.queue.push({ name: p.name, ref: refOf(p.entry.status), seq: p.entry.seq, ready: Promise.resolve() });
      this.seq = Math.max(this.seq, p.entry.seq + 1);
    }
    this.onDisk = found.pending.length;
    this.opened = true;
    if (found.pending.length) this.deps.warn(`outbox: ${found.pending.length} report(s) of a previous incarnation not yet delivered; delivering them first`);
  }

  /**
   * Attempts whose end is not delivered yet (a task.finished report pending): for the coordinator
   * they still run, and the heartbeat says so until JetStream took the report, so that an end
   * produced during an outage is not mistaken for a vanished attempt when the bus comes back.
   */
  undeliveredEnds(): { runId: string; taskId: string; attempt: number }[] {
    return this.queue.filter((i) => i.ref.kind === 'task.finished' && !i.delivered).map(({ ref }) => ({ runId: ref.runId, taskId: ref.taskId, attempt: ref.attempt }));
  }

  /**
   * The end of an attempt as this node reported it and JetStream acknowledged (read back from
   * `sent/`, kept a day): the coordinator asks for it before calling an attempt lost whose report
   * it never applied. Undefined when this node delivered no such end (or it is still pending).
   */
  async deliveredEnd(ref: { runId: string; taskId: string; attempt: number }): Promise<TaskFinished | undefined> {
    const name = outboxFileName({ ...ref, kind: 'task.finished' });
    if (!this.known.has(name) || this.queue.some((i) => i.name === name)) return undefined;
    const entry = await this.store.readSent(name);
    return entry?.status.kind === 'task.finished' ? entry.status : undefined;
  }

  /** Forgets tombstones older than a day (run hourly by a long-lived node-agent); returns how many. */
  async prune(): Promise<number> {
    const removed = await this.store.pruneSent(this.deps.now(), SENT_KEEP_MS);
    for (const name of removed) this.known.delete(name);
    return removed.length;
  }

  /** True when a report of this attempt and kind is pending or was delivered (within a day). */
  has(ref: ReportRef): boolean {
    return this.known.has(outboxFileName(ref));
  }

  /**
   * Takes a report: resolves once it is on disk ('durable'), or at once when this attempt and
   * kind were reported before ('duplicate'). Never throws: a report that cannot go to disk is kept
   * in memory and delivered all the same ('memory'), with a loud error.
   */
  put(s: TaskStatus): Promise<PutResult> {
    if (!this.opened) throw new Error('outbox not opened');
    const name = outboxFileName(s);
    if (this.known.has(name)) {
      this.counters.duplicates += 1;
      this.deps.log(`outbox: ${name} was reported already; the second report is not sent`);
      return Promise.resolve('duplicate');
    }
    this.known.add(name);
    const item: Item = { name, ref: refOf(s), seq: this.seq++, ready: Promise.resolve() };
    const cap = this.deps.cap ?? OUTBOX_CAP;
    let result: Promise<PutResult>;
    if (this.onDisk >= cap) {
      this.memoryOnly(item, s, `the outbox holds ${this.onDisk} reports (cap ${cap}): is the bus unreachable for long?`);
      result = Promise.resolve('memory');
    } else {
      this.onDisk += 1;
      result = this.store.write(name, { v: 1, seq: item.seq, writtenAt: this.deps.now(), status: s }).then(
        () => 'durable' as const,
        (e: Error) => {
          this.onDisk -= 1;
          this.memoryOnly(item, s, `write failed: ${e.message}`);
          return 'memory' as const;
        },
      );
      item.ready = result.then(() => undefined);
    }
    this.queue.push(item);
    this.wake();
    return result;
  }

  private memoryOnly(item: Item, s: TaskStatus, why: string): void {
    item.status = s;
    this.counters.memoryOnly += 1;
    this.deps.error(`outbox: ${item.name} kept in memory only, lost if this node-agent dies before delivering it: ${why}`);
  }

  /** Starts the drainer (idempotent). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.drain();
  }

  /** Retries at once (the bus is back): the backoff starts over. */
  kick(): void {
    this.kicked = true;
    this.wake();
    this.abandon?.();
  }

  /** Waits until every report is delivered, for at most `timeoutMs`; true when empty. */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.queue.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      new Promise<boolean>((r) => this.emptied.push(() => r(true))),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return done;
  }

  /** Stops the drainer; pending reports stay on disk for the next incarnation. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  /** Sleeps until woken or `ms` passed (forever when undefined). */
  private sleep(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => done(), ms);
      timer?.unref();
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = done;
    });
  }

  private async drain(): Promise<void> {
    const { firstMs, maxMs } = this.deps.retry ?? { firstMs: 200, maxMs: 2000 };
    let delay = firstMs;
    while (!this.stopped) {
      const head = this.queue[0];
      if (!head) {
        for (const e of this.emptied.splice(0)) e();
        await this.sleep();
        continue;
      }
      await head.ready;
      let status = head.status;
      if (!status) {
        const d = await this.store.read(head.name);
        if (!d.ok) {
          this.counters.quarantined += 1;
          this.deps.error(`outbox: ${head.name} is unreadable (${d.error}); moved to ${this.store.quarantineDir}, not delivered`);
          await this.store.quarantine(head.name, this.deps.now());
          this.settle(head, true);
          continue;
        }
        status = d.value.status;
      }
      if (this.stopped) return; // stopped while reading: a stopped outbox publishes nothing more
      try {
        const ack = await this.publishUnlessKicked(status);
        head.delivered = true;
        if (ack.duplicate) {
          this.counters.alreadyStored += 1;
          this.deps.log(`outbox: ${head.name} was already stored by JetStream (an earlier publish whose ack was lost)`);
        }
      } catch (e) {
        if (this.stopped) return;
        if (this.kicked) delay = firstMs; // reconnected meanwhile: start over with short delays
        this.kicked = false;
        this.failed(e as Error, delay);
        await this.sleep(delay);
        delay = this.kicked ? firstMs : Math.min(delay * 2, maxMs);
        this.kicked = false;
        continue;
      }
      if (!head.status) {
        await this.store.markSent(head.name, head.ref.kind === 'task.finished').catch((e: Error) => this.deps.warn(`outbox: ${head.name} delivered but not moved to sent/ (${e.message}); a restart will publish it again (deduplicated by JetStream within 2 min)`));
      }
      this.counters.delivered += 1;
      this.settle(head, !head.status);
      delay = firstMs;
      if (this.failingSince !== undefined) {
        this.deps.log(`outbox: bus takes reports again after ${Math.round((this.deps.now() - this.failingSince) / 1000)} s; ${this.queue.length} left to deliver`);
        this.failingSince = undefined;
        this.lastWarn = 0;
      }
    }
  }

  /**
   * Publishes, but gives up waiting when kicked (reconnected): a request sent into a dying
   * connection may wait for its whole timeout for an answer that never comes. Should the abandoned
   * publish have been stored after all, the retry is acked as a duplicate (msg id, 2 min).
   */
  private async publishUnlessKicked(status: TaskStatus): Promise<{ duplicate: boolean }> {
    const publishing = this.deps.publish(status);
    const kicked = new Promise<never>((_, reject) => (this.abandon = () => reject(new Error('reconnected: publish retried'))));
    publishing.catch(() => undefined);
    kicked.catch(() => undefined);
    try {
      return await Promise.race([publishing, kicked]);
    } finally {
      this.abandon = undefined;
    }
  }

  private settle(item: Item, wasOnDisk: boolean): void {
    if (this.queue[0] === item) this.queue.shift();
    if (wasOnDisk) this.onDisk -= 1;
  }

  private failed(e: Error, delay: number): void {
    const now = this.deps.now();
    this.failingSince ??= now;
    if (now - this.lastWarn < (this.deps.warnEveryMs ?? 30_000)) return;
    this.lastWarn = now;
    this.deps.warn(`outbox: ${this.queue.length} report(s) waiting, publish failed (${e.message}); retrying in ${delay} ms and on reconnect`);
  }
}

function refOf(s: ReportRef): ReportRef {
  return { runId: s.runId, taskId: s.taskId, attempt: s.attempt, kind: s.kind };
}
