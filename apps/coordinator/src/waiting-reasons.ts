import type { Placer } from '@shoal/scheduler';
import type { RunTable } from './run-table.js';

/**
 * Waiting reasons are written into the run views at most this often (see {@link WaitingReasons}),
 * and at most once per {@link WAITING_REASONS_MS_PER_TASK} per queued task: 10 s with 100,000 queued.
 */
export const WAITING_REASONS_EVERY_MS = 1000;
export const WAITING_REASONS_MS_PER_TASK = 0.1;
const WAITING_REASONS_MAX_MS = 10_000;
/** Reasons written per event-loop turn: 100,000 in one go blocked the loop for ~200 ms. */
export const WAITING_REASONS_PER_TURN = 10_000;

/** How long waiting reasons are kept before they are written again, for a queue of `depth` tasks. */
export function waitingReasonsEveryMs(depth: number): number {
  return Math.min(WAITING_REASONS_MAX_MS, Math.max(WAITING_REASONS_EVERY_MS, depth * WAITING_REASONS_MS_PER_TASK));
}

/**
 * Writes why each queued task waits into its run view: at once when the last time was long
 * enough ago ({@link waitingReasonsEveryMs}), else once that much time has passed. Listing every
 * queued task each round cost more than the round itself (100,000 queued tasks: ~10 ms a round),
 * and once a second still ~11% of the coordinator's CPU.
 */
export class WaitingReasons {
  private notedAt = -Infinity;
  private timer?: NodeJS.Timeout;
  /** The rest of a list being written, {@link WAITING_REASONS_PER_TURN} a turn. */
  private rest?: NodeJS.Immediate;

  constructor(
    private readonly placer: Placer,
    private readonly table: RunTable,
  ) {}

  /** After a placement round: writes the reasons now, or once their interval has passed. */
  note(): void {
    if (this.timer) return;
    const wait = this.notedAt + waitingReasonsEveryMs(this.placer.depth()) - Date.now();
    if (wait <= 0) return this.write();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, wait);
  }

  stop(): void {
    clearTimeout(this.timer);
    clearImmediate(this.rest);
  }

  private write(): void {
    this.notedAt = Date.now();
    clearImmediate(this.rest);
    this.apply(this.placer.waitingReasons(), 0);
  }

  /** Writes `list` from `from` on, one turn's worth now and the rest on the next turns (a reason only lands on a task still queued). */
  private apply(list: ReadonlyArray<{ key: string; reason: string }>, from: number): void {
    const end = Math.min(list.length, from + WAITING_REASONS_PER_TURN);
    for (let i = from; i < end; i++) {
      const w = list[i]!;
      const [runId, taskId] = w.key.split('/') as [string, string];
      const run = this.table.get(runId);
      if (run) run.engine.waiting(run.view, taskId, w.reason);
    }
    this.rest = end < list.length ? setImmediate(() => this.apply(list, end)) : undefined;
  }
}
