import type { TaskStatus } from '@shoal/protocol';
import { ReportOutbox } from '../outbox/index.js';
import { AttemptClaims } from './attempt-claims.js';
import { keepWorking } from './in-progress.js';

/** How often claims and tombstones older than a day are removed. */
const HOUSEKEEPING_MS = 3_600_000;
/** How long a shutdown waits for the outbox to empty (what is left is delivered by the next start). */
const OUTBOX_FLUSH_MS = 3000;

/** What {@link DurableAttempts} needs from the node-agent. */
export interface DurableAttemptsDeps {
  dataDir: string;
  /** Publishes a report to JetStream with its msg id (the gateway). */
  publish(s: TaskStatus): Promise<{ duplicate: boolean }>;
  /** Registers a callback for each reconnect to NATS. */
  onReconnect(fn: () => void): void;
  /** Registers a last step before the connection to NATS drains on shutdown. */
  beforeStop(fn: () => Promise<void>): void;
  /** Claim keys of the attempts running now (kept by the hourly pruning). */
  running(): string[];
  now(): number;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * What a node keeps on disk so that an attempt runs at most once here and its reports reach the
 * coordinator once: the attempt claims (`claims/`) and the report outbox (`outbox/`), opened and
 * reconciled together at start, pruned hourly.
 */
export class DurableAttempts {
  readonly claims: AttemptClaims;
  readonly outbox: ReportOutbox;
  private housekeeping?: NodeJS.Timeout;
  /** Work messages of an attempt this node had already started (redelivered or published again). */
  duplicateDeliveries = 0;

  constructor(private readonly deps: DurableAttemptsDeps) {
    this.claims = new AttemptClaims(`${deps.dataDir}/claims`);
    this.outbox = new ReportOutbox({ dir: `${deps.dataDir}/outbox`, publish: deps.publish, now: deps.now, log: deps.log, warn: deps.warn, error: deps.error });
  }

  /**
   * At start, before re-adoption: loads the outbox and starts delivering what a previous
   * incarnation left (in order; at once again on every reconnect; a shutdown waits a little for it
   * to empty), and removes claims older than a day.
   */
  async open(): Promise<void> {
    const { outbox } = this;
    await outbox.open();
    outbox.start();
    this.deps.onReconnect(() => outbox.kick());
    this.deps.beforeStop(async () => {
      if (!(await outbox.flush(OUTBOX_FLUSH_MS))) this.deps.warn(`${outbox.depth} report(s) left in the outbox: the next start of this node-agent delivers them`);
      outbox.stop();
    });
    const pruned = this.claims.prune(this.deps.now());
    if (pruned.length) this.deps.log(`removed ${pruned.length} attempt claim(s) older than a day`);
  }

  /**
   * After re-adoption (`handled`: the attempts it found records of): gives back the claims of
   * starts a previous incarnation never completed (no record, no report of their end), so that
   * their redelivered work starts them; then starts the hourly pruning.
   */
  afterReadoption(handled: ReadonlySet<string>): void {
    const released = this.claims.releaseUnaccounted((key) => handled.has(key) || this.outbox.has(finishedRef(key)));
    if (released.length) this.deps.warn(`${released.length} start(s) of a previous incarnation never completed (${released.slice(0, 5).join(', ')}): claims given back, their redelivered work starts them`);
    this.housekeeping ??= setInterval(() => this.tidy(), HOUSEKEEPING_MS).unref();
  }

  /** Claims and delivered-report tombstones older than a day go (claims of running attempts stay). */
  tidy(): void {
    const running = new Set(this.deps.running());
    try {
      this.claims.prune(this.deps.now(), undefined, (key) => running.has(key));
    } catch (e) {
      this.deps.warn(`attempt claims not pruned: ${(e as Error).message}`);
    }
    void this.outbox.prune().catch((e: Error) => this.deps.warn(`outbox tombstones not pruned: ${e.message}`));
  }

  /**
   * True when the attempt `key` was claimed before (started here, or starting): the message is
   * acked, counted and logged, and nothing is to be started.
   */
  skipDuplicate(key: string, msg: { ack(): void }): boolean {
    if (!this.claims.held(key)) return false;
    this.duplicate(key, msg);
    return true;
  }

  private duplicate(key: string, msg: { ack(): void }): void {
    this.duplicateDeliveries += 1;
    this.deps.warn(`${key} delivered again (duplicate delivery ${this.duplicateDeliveries} on this node): already started here, not started again`);
    msg.ack();
  }

  /**
   * Takes the claim of `key` and runs `start` with it, sending in-progress acks every `workingEveryMs`
   * until `start` acks the message (through the `ack` it is given) or ends. A claim taken before
   * (a concurrent delivery of the same attempt) makes it a duplicate. When `start` throws before
   * it acked, the claim is given back (the caller naks, the redelivery may start the attempt).
   */
  async startClaimed(key: string, msg: { ack(): void; working(): void }, workingEveryMs: number, start: (ack: () => void) => Promise<void>): Promise<void> {
    if (!this.claims.take(key, this.deps.now())) return this.duplicate(key, msg);
    const stopWorking = keepWorking(msg, workingEveryMs);
    let acked = false;
    const ack = () => {
      stopWorking();
      msg.ack();
      acked = true;
    };
    try {
      await start(ack);
    } catch (e) {
      if (!acked) this.claims.release(key);
      throw e;
    } finally {
      stopWorking();
    }
  }

  /**
   * Hands a status report to the outbox: resolves once it is on disk (the outbox publishes it and
   * retries until JetStream acked it). A second report of the same attempt and kind is not sent.
   */
  async report(s: TaskStatus): Promise<void> {
    await this.outbox.put(s);
  }
}

/** The task.finished report of the attempt with claim key `key` (protocol ids hold no dots). Pure. */
export function finishedRef(key: string): { runId: string; taskId: string; attempt: number; kind: 'task.finished' } {
  const [runId = '', taskId = '', attempt = '0'] = key.split('.');
  return { runId, taskId, attempt: Number(attempt), kind: 'task.finished' };
}
