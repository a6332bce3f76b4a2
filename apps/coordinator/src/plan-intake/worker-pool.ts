import { Worker } from 'node:worker_threads';
import { TimeoutError, TransportError } from '@shoal/protocol';

/** Settings of a {@link WorkerPool}. */
export interface WorkerPoolOptions<In = unknown> {
  /** The worker's module (ESM); it answers every message with exactly one message. */
  script: URL;
  /** Workers at most (started on demand, kept while the pool lives). */
  size: number;
  /** Jobs waiting for a worker at most; one more is refused (busy) instead of queued. */
  maxQueue: number;
  /**
   * A job running longer is abandoned: its worker is terminated (and replaced on the next job).
   * The first job of a new thread gets {@link WORKER_BOOT_MS} more: the thread's start (loading
   * its modules, slow on a loaded host) is not the job's.
   */
  timeoutMs: number;
  /** Heap limit of each worker (MB): a job that needs more kills only its worker. */
  maxHeapMb: number;
  /** What the pool does, for errors and the busy message. */
  what: string;
  /**
   * Relative cost of a job (e.g. its size): waiting jobs start cheapest first (ties in arrival
   * order), so a small plan is not stuck behind a burst of 1 MB ones. Default: arrival order.
   */
  cost?: (input: In) => number;
}

interface Job<In, Out> {
  input: In;
  cost: number;
  resolve: (out: Out) => void;
  reject: (e: Error) => void;
}

/** What a new worker thread's first job gets on top of its deadline for the thread's start. */
export const WORKER_BOOT_MS = 10_000;

interface Slot<In, Out> {
  worker: Worker;
  /** The thread has answered a job (it is started: later jobs get only their own deadline). */
  served: boolean;
  job?: Job<In, Out>;
  timer?: NodeJS.Timeout;
}

/**
 * A small fixed pool of worker threads running one job each at a time, with a bounded queue
 * (a full queue refuses with a retryable TransportError), a per-job deadline (TimeoutError;
 * the stuck worker is terminated) and a heap limit per worker. A crashed worker fails its job
 * and is replaced.
 */
export class WorkerPool<In, Out> {
  private readonly slots: Slot<In, Out>[] = [];
  private readonly queue: Job<In, Out>[] = [];
  private closed = false;

  constructor(private readonly opts: WorkerPoolOptions<In>) {}

  /** Runs one job on a free worker (queued while all are busy). */
  run(input: In): Promise<Out> {
    if (this.closed) return Promise.reject(new TransportError(`${this.opts.what}: shutting down`));
    const free = this.freeSlot();
    if (!free && this.queue.length >= this.opts.maxQueue) {
      return Promise.reject(new TransportError(`${this.opts.what} is busy (${this.queue.length} waiting, ${this.slots.length} running); retry in a moment`));
    }
    return new Promise<Out>((resolve, reject) => {
      const job = { input, cost: this.opts.cost?.(input) ?? 0, resolve, reject };
      if (free) this.start(free, job);
      else {
        // after every job that costs as much or less: cheapest first, ties in arrival order
        let at = this.queue.length;
        while (at > 0 && this.queue[at - 1]!.cost > job.cost) at--;
        this.queue.splice(at, 0, job);
      }
    });
  }

  /** Jobs waiting for a worker. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Workers busy with a job. */
  get busy(): number {
    return this.slots.filter((s) => s.job).length;
  }

  /** Fails waiting and running jobs and terminates every worker. */
  async close(): Promise<void> {
    this.closed = true;
    const stopping = () => new TransportError(`${this.opts.what}: shutting down`);
    for (const job of this.queue.splice(0)) job.reject(stopping());
    const slots = this.slots.splice(0);
    for (const s of slots) {
      clearTimeout(s.timer);
      s.job?.reject(stopping());
      s.job = undefined;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private freeSlot(): Slot<In, Out> | undefined {
    const idle = this.slots.find((s) => !s.job);
    if (idle) return idle;
    if (this.slots.length >= this.opts.size) return undefined;
    const slot = this.spawn();
    this.slots.push(slot);
    return slot;
  }

  private spawn(): Slot<In, Out> {
    const worker = new Worker(this.opts.script, { resourceLimits: { maxOldGenerationSizeMb: this.opts.maxHeapMb } });
    const slot: Slot<In, Out> = { worker, served: false };
    worker.on('message', (out: Out) => this.finish(slot, (job) => job.resolve(out)));
    worker.on('error', (e) => this.retire(slot, new TransportError(`${this.opts.what} failed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => this.retire(slot, new TransportError(`${this.opts.what}: worker exited (${code})`)));
    worker.unref();
    return slot;
  }

  private start(slot: Slot<In, Out>, job: Job<In, Out>): void {
    slot.job = job;
    const ms = this.opts.timeoutMs + (slot.served ? 0 : WORKER_BOOT_MS);
    slot.timer = setTimeout(() => {
      this.retire(slot, new TimeoutError(`${this.opts.what} took longer than ${this.opts.timeoutMs} ms${slot.served ? '' : ` (on a new worker thread, given ${WORKER_BOOT_MS / 1000} s more to start)`}`));
      void slot.worker.terminate();
    }, ms);
    slot.worker.postMessage(job.input);
  }

  private finish(slot: Slot<In, Out>, settle: (job: Job<In, Out>) => void): void {
    const job = slot.job;
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.served = true;
    if (job) settle(job);
    this.next();
  }

  /** A worker that failed, exited or timed out: its job fails, the slot is dropped. */
  private retire(slot: Slot<In, Out>, error: Error): void {
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    this.slots.splice(at, 1);
    clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    job?.reject(error);
    this.next();
  }

  private next(): void {
    while (this.queue.length && !this.closed) {
      const slot = this.freeSlot();
      if (!slot) return;
      this.start(slot, this.queue.shift()!);
    }
  }
}
