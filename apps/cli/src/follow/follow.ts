import { setTimeout as sleep } from 'node:timers/promises';
import { type RunView, TERMINAL_RUN, TransportError } from '@shoal/protocol';
import { type ApiClient, ApiError } from '../api-client.js';
import { fittedPhaseBars } from './bars.js';
import { followLine } from './lines.js';
import { type FollowEvent, RunProgress } from './progress.js';

/** How `shoal run --follow` shows progress: bars redrawn in place (TTY), plain lines, or one JSON event per line. */
export type FollowMode = 'tty' | 'plain' | 'json';

/** Options of {@link followRun}. */
export interface FollowOptions {
  mode: FollowMode;
  /** Writes raw text (no newline added). */
  write(text: string): void;
  /** Terminal width (TTY mode). */
  columns?(): number;
  /** Terminal height (TTY mode): the bars never take more than all but two of its lines. */
  rows?(): number;
  /** Expected duration of a task (learned estimate of its kind), for the ETA. */
  estimateMs?(taskId: string): number | undefined;
  /** Bar refresh period on a TTY (default 1 s). */
  redrawMs?: number;
  /** How long a dropped stream is re-opened before giving up (default 60 s). */
  reconnectForMs?: number;
  now?(): number;
}

/**
 * Follows a run from its submit answer to its end and returns the last view seen. Nothing is
 * missed: the stream opens with a snapshot, and what it shows that no event told yet (a first
 * task already running, or even finished) is replayed from it; events it already showed are not
 * repeated. A stream that drops before the run ended is opened again (its snapshot fills the gap).
 */
export async function followRun(api: ApiClient, first: RunView, o: FollowOptions): Promise<RunView> {
  const now = o.now ?? Date.now;
  const progress = new RunProgress({ estimateMs: o.estimateMs });
  const view = new FollowView(o, progress, first.submittedAt, now);
  let last = first;
  view.show(progress.snapshot(first, now()));
  const timer = o.mode === 'tty' ? setInterval(() => view.redraw(), o.redrawMs ?? 1000) : undefined;
  let failingSince: number | undefined;
  try {
    while (!TERMINAL_RUN.includes(progress.state)) {
      let why: unknown = new TransportError(`the event stream of run ${first.id} keeps closing before the run ended`);
      try {
        for await (const m of api.follow(first.id)) {
          failingSince = undefined;
          if (m.event === 'snapshot') {
            last = m.data;
            view.show(progress.snapshot(last, now()));
          } else view.show(progress.event(m.data));
        }
      } catch (e) {
        if (e instanceof ApiError && e.status < 500) throw e; // no such run, no access: asking again will not help
        why = e;
      }
      if (TERMINAL_RUN.includes(progress.state)) break;
      failingSince ??= now();
      if (now() - failingSince > (o.reconnectForMs ?? 60_000)) throw why;
      await sleep(500);
    }
  } finally {
    clearInterval(timer);
    view.end();
  }
  return last;
}

/** Writes what the follower learns, in the chosen mode. */
class FollowView {
  private barLines = 0;

  constructor(
    private readonly o: FollowOptions,
    private readonly progress: RunProgress,
    private readonly t0: number,
    private readonly now: () => number,
  ) {}

  show(events: FollowEvent[]): void {
    if (this.o.mode === 'json') {
      for (const e of events) this.o.write(`${JSON.stringify(e)}\n`);
      return;
    }
    const lines = events.map((e) => followLine(e, this.t0)).filter((l): l is string => l !== undefined);
    if (this.o.mode === 'plain') {
      for (const l of lines) this.o.write(`${l}\n`);
      return;
    }
    if (lines.length === 0) return;
    this.redraw(lines);
  }

  /** TTY: clears the bars, prints new lines above them, draws the bars again. */
  redraw(lines: string[] = []): void {
    if (this.o.mode !== 'tty') return;
    const width = Math.max(20, (this.o.columns?.() ?? 80) - 1);
    const bars = fittedPhaseBars(this.progress.phases(this.now()), width, Math.max(1, (this.o.rows?.() ?? 24) - 2));
    const clear = this.barLines > 0 ? `\u001b[${this.barLines}A\r\u001b[J` : '';
    this.o.write(`${clear}${lines.map((l) => `${l}\n`).join('')}${bars.map((b) => `${b}\n`).join('')}`);
    this.barLines = bars.length;
  }

  end(): void {
    this.redraw();
    this.barLines = 0;
  }
}
