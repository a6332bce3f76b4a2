import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from '@shoal/protocol';
import { type Detection, StateDetector } from '../presets/detector.js';
import type { PresetSpec } from '../presets/types.js';
import { type PaneTmux, paneDead, replyAfter, typeLine } from './pane-input.js';

/** One check-in and what the agent answered. */
export interface CheckinReport {
  /** Check-in number within this loop, from 1. */
  seq: number;
  sentAt: number;
  capturedAt: number;
  /** Detector state when the reply was captured. */
  state: string;
  /** The prompt was seen in the pane before Enter (false: not seen; it may still be queued). */
  verified: boolean;
  /** Pane lines after the prompt once the reply settled (or the reply window ran out). */
  reply: string;
}

/** Options of {@link CheckinLoop}. */
export interface CheckinLoopOptions {
  tmux: PaneTmux;
  /** The agent's pane, or a getter (the pane changes when the node restarts the agent). */
  paneId: string | (() => string | undefined);
  /** Preset whose detector says whether the agent is busy. */
  preset: PresetSpec;
  /** Period between check-ins (from the end of one to the start of the next). */
  intervalMs: number;
  prompt: string;
  publish(report: CheckinReport): void | Promise<void>;
  now?: () => number;
  /** Screen poll period while waiting for idleness or a reply (default 250 ms). */
  pollMs?: number;
  /** The reply is complete when the screen stays unchanged this long outside a turn (default 3 s). */
  settleMs?: number;
  /** Longest wait for a reply (default 5 min, at most the interval). */
  replyTimeoutMs?: number;
  /** Retry period while the agent is busy (default: a tenth of the interval, 1-60 s). */
  busyRetryMs?: number;
  /** Detector stability override (default: the preset's). */
  stableMs?: number;
  /** History lines captured for the reply (default 200). */
  replyLines?: number;
  onError?(e: unknown): void;
}

/**
 * Sends an interactive agent its team's check-in prompt every interval while it runs and is not
 * busy (detector: waiting for input outside a menu, or unknown), captures the reply once it
 * settles and hands it to `publish`. Each prompt carries a unique `[check-in N]` tag, so its
 * arrival is verified against this prompt and not an earlier identical one.
 */
export class CheckinLoop {
  private readonly now: () => number;
  private readonly detector: StateDetector;
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private running?: Promise<unknown>;
  private seq = 0;

  constructor(private readonly o: CheckinLoopOptions) {
    this.now = o.now ?? Date.now;
    this.detector = new StateDetector(o.preset, { now: this.now, stableMs: o.stableMs });
  }

  /** Check-ins sent so far. */
  get sent(): number {
    return this.seq;
  }

  /** Starts the timer; the first check-in comes one interval from now. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.o.intervalMs);
  }

  /** Stops the timer and waits for a check-in in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /**
   * One check-in now if the agent is idle: the report, `busy` (agent working, in a menu or
   * not settled) or `done` (pane dead).
   */
  checkinNow(): Promise<CheckinReport | 'busy' | 'done'> {
    const run = this.once();
    this.running = run;
    return run;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    let next = this.o.intervalMs;
    try {
      const r = await this.checkinNow();
      if (r === 'done') this.stopped = true;
      if (r === 'busy') next = this.o.busyRetryMs ?? Math.min(60_000, Math.max(1000, Math.floor(this.o.intervalMs / 10)));
    } catch (e) {
      this.o.onError?.(e);
    }
    this.schedule(next);
  }

  private async once(): Promise<CheckinReport | 'busy' | 'done'> {
    const paneId = this.pane();
    if (!paneId) return 'done';
    const before = await this.observeSettled();
    if (before.state === 'done') return 'done';
    if (!isIdle(before)) return 'busy';
    const seq = ++this.seq;
    const tag = `[check-in ${seq}]`;
    const sentAt = this.now();
    let verified = true;
    let afterEnter = '';
    try {
      await typeLine(this.o.tmux, paneId, `${this.o.prompt} ${tag}`, async () => {
        afterEnter = await this.capture();
      });
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      verified = false;
    }
    const { screen, state } = await this.awaitReply(afterEnter);
    const report: CheckinReport = { seq, sentAt, capturedAt: this.now(), state, verified, reply: verified ? replyAfter(screen, tag) : '' };
    await this.o.publish(report);
    return report;
  }

  /** Observes until the detector had a stable screen (bounded), returning its classification. */
  private async observeSettled(): Promise<Detection> {
    const stableMs = this.o.stableMs ?? this.o.preset.stableMs;
    const deadline = this.now() + stableMs * 3 + 1000;
    for (;;) {
      const d = await this.observe();
      if (d.state === 'done' || this.now() - d.unchangedSinceMs >= stableMs || this.now() >= deadline) return d;
      await sleep(this.o.pollMs ?? 250);
    }
  }

  /** Waits until the screen changed after Enter and then stayed unchanged outside a turn. */
  private async awaitReply(afterEnter: string): Promise<{ screen: string; state: string }> {
    const settleMs = this.o.settleMs ?? 3000;
    const deadline = this.now() + Math.min(this.o.replyTimeoutMs ?? 300_000, this.o.intervalMs);
    let last = afterEnter;
    let changedAt = this.now();
    let changed = false;
    for (;;) {
      await sleep(this.o.pollMs ?? 250);
      const screen = await this.capture();
      const dead = await paneDead(this.o.tmux, this.pane() ?? '%-1');
      const d = this.detector.observe({ screen, dead });
      if (screen !== last) {
        changed = true;
        last = screen;
        changedAt = this.now();
      }
      const quiet = changed && this.now() - changedAt >= settleMs && d.state !== 'working';
      if (dead || quiet || this.now() >= deadline) return { screen, state: d.state };
    }
  }

  private async observe(): Promise<Detection> {
    const [screen, dead] = await Promise.all([this.capture(), paneDead(this.o.tmux, this.pane() ?? '%-1')]);
    return this.detector.observe({ screen, dead });
  }

  private capture(): Promise<string> {
    const paneId = this.pane();
    return paneId ? this.o.tmux.capturePane(paneId, { lines: this.o.replyLines ?? 200 }).catch(() => '') : Promise.resolve('');
  }

  private pane(): string | undefined {
    return typeof this.o.paneId === 'string' ? this.o.paneId : this.o.paneId();
  }
}

/** Not busy: waiting at a prompt (not a menu), or a screen no pattern explains. */
export function isIdle(d: Detection): boolean {
  return (d.state === 'waiting-for-input' && !d.menu) || d.state === 'unknown';
}
