import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ConflictError, type RunView, type TaskView } from '@shoal/protocol';
import { type CompiledPlan, type InFlight, type RunEngine, commitments, findTask } from '@shoal/scheduler';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config.js';
import { Metrics } from './metrics.js';
import { NatsGateway } from './nats.gateway.js';
import type { Committed } from './node-registry.js';
import { type PlacedAttempt as IndexedAttempt, PlacedIndex } from './placed-index.js';
import { ORPHAN_PAGE_MIN_AGE_MS, type PageSweep, sweepOrphanPages } from './run-store/orphan-pages.js';
import { type StoreSlot, type StoredRun, RunStore } from './run-store/run-store.js';
import { casWrite } from './state-write.js';

/** A run the coordinator is driving. */
export interface ActiveRun {
  view: RunView;
  engine: RunEngine;
  plan: CompiledPlan;
}

/** An attempt that holds room on a node (dispatched or running when listed; the view is live, check `task.state`). */
export type PlacedAttempt = IndexedAttempt<ActiveRun>;

/** Write state of one run's stored documents. */
interface Slot extends StoreSlot {
  /** The view in memory has changes the KV store does not have. */
  dirty: boolean;
  /** Set after a revision conflict: another writer owns the document; never overwritten. */
  fenced?: string;
  inflight?: Promise<void>;
  /** The next write, not started yet: every change made before it starts is in it. */
  queued?: Promise<void>;
}

/** Resolves on the next turn of the event loop, after the immediates already scheduled. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How often the leader sweeps task pages no stored head names. */
const PAGE_SWEEP_EVERY_MS = 15 * 60_000;

/** How often runs whose last write failed are written again without waiting for a change. */
const DIRTY_RETRY_MS = 5000;

/**
 * The runs in memory, written through to the JetStream KV bucket after every change. Every write
 * of `run.<id>` is a compare-and-swap on the revision this coordinator last wrote or read;
 * transient failures are retried until `stateWriteDeadlineMs`, then the write rejects (and is
 * logged and counted in `shoal_state_write_failures_total`); the run stays dirty and is written
 * again with the next change or within {@link DIRTY_RETRY_MS}. A conflict means another writer
 * changed the run: it is never overwritten.
 */
@Injectable()
export class RunTable implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('runs');
  private readonly runs = new Map<string, ActiveRun>();
  private readonly slots = new Map<string, Slot>();
  private retryTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  /** Placed attempts by run and by node, re-listed run by run after changes (see {@link touched}). */
  private readonly placed = new PlacedIndex<ActiveRun>(this.runs);
  private readonly store: RunStore;

  constructor(
    private readonly nats: NatsGateway,
    private readonly metrics: Metrics,
    @Inject(COORDINATOR_CONFIG) private readonly config: Pick<CoordinatorConfig, 'stateWriteDeadlineMs'>,
  ) {
    this.store = new RunStore(nats, config.stateWriteDeadlineMs);
    metrics.observe('stateDirtyRuns', () => [...this.slots.values()].filter((s) => s.dirty).length);
  }

  onModuleInit(): void {
    this.retryTimer = setInterval(() => this.retryDirty(), DIRTY_RETRY_MS);
    this.retryTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.retryTimer);
    clearInterval(this.sweepTimer);
  }

  /**
   * The leader's sweep of task pages no stored head names (see {@link sweepOrphanPages}), every
   * {@link PAGE_SWEEP_EVERY_MS}: what a coordinator that stopped mid-write left is deleted within
   * that plus {@link ORPHAN_PAGE_MIN_AGE_MS}.
   */
  startPageSweeps(): void {
    this.sweepTimer ??= setInterval(() => void this.sweepPages().catch((e: Error) => this.log.warn(`page sweep failed (tried again in ${PAGE_SWEEP_EVERY_MS / 60_000} min): ${e.message}`)), PAGE_SWEEP_EVERY_MS);
    this.sweepTimer.unref();
  }

  /** One sweep of orphan task pages, now. */
  async sweepPages(now = Date.now()): Promise<PageSweep> {
    const swept = await sweepOrphanPages({ keys: (f) => this.nats.runKeys(f), read: (k) => this.nats.getRunTextFromLeader(k), purge: (k) => this.nats.purgeRun(k) }, now);
    if (swept.deleted) this.log.log(`deleted ${swept.deleted} task page(s) no stored run names (of ${swept.pages})`);
    if (swept.unreadableHeads) this.log.warn(`${swept.unreadableHeads} run head(s) are not JSON: their pages are kept`);
    return swept;
  }

  /** A run as stored, read whole (recovery); undefined when there is none. */
  readStored(runId: string): Promise<StoredRun | undefined> {
    return this.store.read(runId);
  }

  /** Adds a run read back from the store (recovery): its next write is a compare-and-swap on `stored.revision`. */
  add(run: ActiveRun, stored?: Pick<StoredRun, 'revision' | 'pages'>): void {
    this.touched(run.view.id);
    this.runs.set(run.view.id, run);
    this.slots.set(run.view.id, { revision: stored?.revision, pages: stored?.pages, dirty: false });
  }

  /**
   * Stores a new run's document (create-if-absent, retried like every write) and only then adds
   * it to memory: when this rejects, nothing of the run is in the table.
   */
  async create(run: ActiveRun): Promise<void> {
    const slot: Slot = { dirty: false };
    await this.store.write(run.view, slot);
    this.touched(run.view.id);
    this.runs.set(run.view.id, run);
    this.slots.set(run.view.id, slot);
  }

  /** Forgets a run in memory (a submission that could not be stored). */
  remove(runId: string): void {
    this.touched(runId);
    this.runs.delete(runId);
    this.slots.delete(runId);
  }

  get(runId: string): ActiveRun | undefined {
    return this.runs.get(runId);
  }

  /** A task of a run in memory, by id (indexed: no walk over the run's tasks). */
  task(runId: string, taskId: string): TaskView | undefined {
    const run = this.runs.get(runId);
    return run && findTask(run.view, taskId);
  }

  all(): ActiveRun[] {
    return [...this.runs.values()];
  }

  /** KV revision of the run's document as this coordinator knows it. */
  revision(runId: string): number | undefined {
    return this.slots.get(runId)?.revision;
  }

  /** True when the run has changes not yet stored. */
  isDirty(runId: string): boolean {
    return this.slots.get(runId)?.dirty ?? false;
  }

  /**
   * Stores the plan text of a run (immutable, read back after a coordinator restart); retried,
   * then rejects. Create-if-absent: the same text already stored is fine (a retried submission),
   * another text is a ConflictError and is never overwritten.
   */
  async savePlan(runId: string, planText: string): Promise<void> {
    const key = `plan.${runId}`;
    const storedRevision = async () => {
      const stored = await this.nats.getRunEntry<{ text?: string }>(key);
      return stored?.value.text === planText ? stored.revision : undefined;
    };
    try {
      await casWrite(
        {
          what: `the plan of run ${runId}`,
          attempt: () => this.nats.createRun(key, { text: planText }),
          onConflict: async () => {
            const revision = await storedRevision();
            return revision === undefined ? { kind: 'theirs' } : { kind: 'landed', revision };
          },
        },
        { deadlineMs: this.config.stateWriteDeadlineMs },
      );
    } catch (e) {
      if (!(e instanceof ConflictError) || (await storedRevision()) === undefined) throw e;
    }
  }

  /**
   * Writes the run's view (compare-and-swap on its revision); changes made while a write is in
   * flight coalesce into one next write. A write starts one event-loop turn after it is asked for
   * (`setImmediate`): a placement round asked for before it runs first, so a finish and the
   * dispatch that takes its room go out in one write instead of two in a row. Resolves once a write containing every change made
   * before the call is stored; rejects with a TransportError (store unreachable past the
   * deadline) or ConflictError (another writer changed the run). Failures are also logged and
   * counted here, so a caller that does not wait (`void persist()`) loses nothing but the wait.
   */
  persist(runId: string): Promise<void> {
    const slot = this.slots.get(runId);
    if (!slot) return Promise.resolve();
    this.touched(runId);
    slot.dirty = true;
    if (slot.queued) return slot.queued;
    const queued = (slot.inflight ?? Promise.resolve())
      .catch(() => undefined)
      .then(nextTurn)
      .then(() => {
        slot.queued = undefined;
        const w = this.flush(runId, slot).finally(() => {
          if (slot.inflight === w) slot.inflight = undefined;
        });
        slot.inflight = w;
        return w;
      });
    slot.queued = queued;
    queued.catch(() => undefined); // handled: flush logged and counted it
    return queued;
  }

  /** Writes every dirty run again (those fenced by a conflict excepted). */
  retryDirty(): void {
    for (const [runId, s] of this.slots) if (s.dirty && !s.fenced && !s.queued && !s.inflight) void this.persist(runId);
  }

  /**
   * Notes that a run's view changed in memory ({@link persist} does it for every change the
   * orchestrator makes): its placed attempts are listed again on next use.
   */
  touched(runId: string): void {
    this.placed.touched(runId);
  }

  /** Sum of the budgets of tasks dispatched or running, per node; the members of one batch on one node count once. */
  committed(): Committed {
    const inFlight: InFlight[] = [];
    for (const { run, task: t, spec } of this.placed.all()) {
      if (!t.nodeId || (t.state !== 'dispatched' && t.state !== 'running')) continue;
      inFlight.push({ nodeId: t.nodeId, runId: run.view.id, batch: spec.batch, cpuPercent: spec.cpuPercent, memoryMb: spec.memoryMb });
    }
    return commitments(inFlight);
  }

  /**
   * Attempts placed on a node (dispatched or running when last listed: check `task.state` and
   * `task.nodeId`, the views are live). Only the runs changed since the last call are listed
   * again: a heartbeat no longer walks every task of every run.
   */
  placedOn(nodeId: string): readonly PlacedAttempt[] {
    return this.placed.onNode(nodeId);
  }

  private async flush(runId: string, slot: Slot): Promise<void> {
    const run = this.runs.get(runId);
    if (!slot.dirty || !run || this.slots.get(runId) !== slot) return;
    if (slot.fenced) throw this.failed(runId, 'conflict', new ConflictError(slot.fenced));
    slot.dirty = false;
    const started = performance.now();
    try {
      await this.store.write(run.view, slot);
      this.metrics.record('stateWriteDuration', (performance.now() - started) / 1000);
    } catch (e) {
      slot.dirty = true;
      const conflict = (e as { code?: string }).code === 'E_CONFLICT';
      if (conflict) slot.fenced = (e as Error).message;
      throw this.failed(runId, conflict ? 'conflict' : 'transport', e as Error);
    }
  }

  private failed(runId: string, reason: 'transport' | 'conflict', e: Error): Error {
    this.metrics.add('stateWriteFailures', { reason });
    this.log.error(
      `STATE WRITE FAILED for run ${runId}: ${e.message} — the run's last changes are NOT stored; ` +
        (reason === 'conflict' ? 'this coordinator will not overwrite it' : `it is written again with its next change or within ${DIRTY_RETRY_MS / 1000} s`),
    );
    return e;
  }
}
