import { type Detection, stabilityKey } from '../presets/index.js';

/** Options of {@link TurnTracker}. */
export interface TurnTrackerOptions {
  now(): number;
  /** How long a screen must stay unchanged to count (the preset's `stableMs`). */
  stableMs: number;
  /**
   * A settled screen no pattern explains (`unknown`, or an `error` left on screen) counts as the
   * prompt only after this long unchanged; a turn that showed neither work nor any change after
   * Enter ends after this long too (an agent that answered before the first look).
   */
  quietMs: number;
}

/** What a look at the pane means for the member whose turn it is. */
export type TurnLook =
  /** Keep looking. */
  | { step: 'wait' }
  /** The agent is at its prompt: type the member's prompt now. */
  | { step: 'type' }
  /** The agent went working (or answered) and is back at its prompt, settled: the member succeeded. */
  | { step: 'ended' }
  /** The agent settled on an error screen after the prompt: the member failed. */
  | { step: 'failed'; reason: string }
  /** The pane is dead. */
  | { step: 'dead' };

/**
 * One member's turn in an interactive batch session, from looks at the pane (Detections of the
 * preset's StateDetector, which classifies a screen only once it is stable): before the prompt is
 * typed it says when the agent is at its prompt (never a menu); after Enter it says when the agent
 * has worked and is back at its prompt. Pure: time comes from `now`.
 */
export class TurnTracker {
  private sentAt?: number;
  private afterEnter?: string;
  private sawWorking = false;
  private changed = false;

  constructor(private readonly o: TurnTrackerOptions) {}

  /** True once the prompt was typed and Enter pressed. */
  get typed(): boolean {
    return this.sentAt !== undefined;
  }

  /** Records that the prompt was typed and Enter pressed; `screen` is the first look after Enter. */
  sent(screen: string): void {
    this.sentAt = this.o.now();
    this.afterEnter = stabilityKey(screen);
  }

  /** One look at the pane: its screen and the detector's classification of it. */
  look(d: Detection, screen: string): TurnLook {
    if (d.state === 'done') return { step: 'dead' };
    const now = this.o.now();
    const settledFor = now - d.unchangedSinceMs;
    const stable = settledFor >= this.o.stableMs;
    const quiet = settledFor >= this.o.quietMs;
    const atPrompt = d.state === 'waiting-for-input' && !d.menu;
    if (this.sentAt === undefined) {
      if (stable && (atPrompt || ((d.state === 'unknown' || d.state === 'error') && quiet))) return { step: 'type' };
      return { step: 'wait' };
    }
    if (d.state === 'working' || d.state === 'stalled') this.sawWorking = true;
    if (!this.changed && stabilityKey(screen) !== this.afterEnter) this.changed = true;
    const answered = this.sawWorking || this.changed || now - this.sentAt >= this.o.quietMs;
    if (!answered || !stable) return { step: 'wait' };
    if (atPrompt || (d.state === 'unknown' && quiet)) return { step: 'ended' };
    if (d.state === 'error' && quiet) return { step: 'failed', reason: `the agent shows an error (${d.because})` };
    return { step: 'wait' };
  }
}
