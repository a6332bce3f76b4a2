import type { AgentState, PresetSpec } from './types.js';

/** One look at a pane. */
export interface PaneObservation {
  /** Pane text (capture-pane), trailing blank lines dropped. */
  screen: string;
  /** The pane's process has ended (tmux `pane_dead`). */
  dead: boolean;
}

/** A classification with what led to it. */
export interface Detection {
  state: AgentState;
  /** True when the agent waits on a menu or dialog: typed text would choose an option. */
  menu: boolean;
  /** The pattern (or rule) that decided. */
  because: string;
  /** Since when the screen (animation ignored, see {@link stabilityKey}) has not changed. */
  unchangedSinceMs: number;
}

/** Options of {@link StateDetector}. */
export interface DetectorOptions {
  now: () => number;
  /** Overrides the preset's stability delay (tests). */
  stableMs?: number;
  /** Overrides the preset's stall timeout (tests). */
  stallMs?: number;
}

interface Compiled {
  working: RegExp[];
  prompt: RegExp[];
  menu: RegExp[];
  error: RegExp[];
  exitHints: RegExp[];
  animated: RegExp[];
}

const compile = (sources: readonly string[], flags = 'im') => sources.map((s) => new RegExp(s, flags));

/**
 * Reads an agent's state from successive pane observations, by the preset's patterns.
 * Done only when the pane is dead; blank start-up is `starting`; a screen is classified only once it
 * stayed unchanged for `stableMs` — compared by {@link stabilityKey}, so spinners, counters, progress
 * bars and the preset's `animated` texts do not count —, until then the previous state stands;
 * `working` unchanged for `stallMs` is `stalled` (a retry loop that never progresses). Pure: time
 * comes from `now`.
 */
export class StateDetector {
  private readonly patterns: Compiled;
  private readonly stableMs: number;
  private readonly stallMs: number;
  private lastKey?: string;
  private changedAt = 0;
  private seenContent = false;
  private current: Detection;

  constructor(
    readonly preset: PresetSpec,
    private readonly options: DetectorOptions,
  ) {
    const p = preset.patterns;
    this.patterns = {
      working: compile(p.working),
      prompt: compile(p.prompt),
      menu: compile(p.menu),
      error: compile(p.error),
      exitHints: compile(p.exitHints),
      animated: compile(p.animated, 'gim'),
    };
    this.stableMs = options.stableMs ?? preset.stableMs;
    this.stallMs = options.stallMs ?? preset.stallMs;
    this.current = { state: 'starting', menu: false, because: 'nothing observed yet', unchangedSinceMs: options.now() };
  }

  /** The last classification. */
  get last(): Detection {
    return this.current;
  }

  /** Feeds one observation; returns the classification. */
  observe(obs: PaneObservation): Detection {
    const now = this.options.now();
    const key = stabilityKey(obs.screen, this.patterns.animated);
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.changedAt = now;
    }
    const base = { menu: false, unchangedSinceMs: this.changedAt };
    if (obs.dead) {
      const hint = this.patterns.exitHints.find((r) => r.test(obs.screen));
      return (this.current = { ...base, state: 'done', because: hint ? `pane dead; exit hint /${hint.source}/` : 'pane dead' });
    }
    if (key.trim() === '') {
      return (this.current = { ...base, state: this.seenContent ? 'unknown' : 'starting', because: 'blank screen' });
    }
    this.seenContent = true;
    if (now - this.changedAt < this.stableMs) {
      return (this.current = { ...this.current, unchangedSinceMs: this.changedAt });
    }
    const d = this.classify(obs.screen);
    if (d.state === 'working' && now - this.changedAt >= this.stallMs) {
      return (this.current = { ...d, state: 'stalled', because: `${d.because}, no change for ${now - this.changedAt} ms` });
    }
    return (this.current = d);
  }

  /**
   * Classifies one settled screen (no timing): working > error > menu > prompt > unknown. The tail
   * windows count lines with text: empty lines and lines of only frame or rule characters are skipped.
   */
  classify(screen: string): Detection {
    const base = { menu: false, unchangedSinceMs: this.changedAt };
    const lines = screen.split('\n').map((l) => l.replace(/\s+$/, ''));
    const nonBlank = lines.filter((l) => !FRAME_ONLY.test(l));
    const tail = nonBlank.slice(-this.preset.tailLines).join('\n');
    const errorTail = nonBlank.slice(-this.preset.errorLines).join('\n');
    const hit = (rs: RegExp[], text: string) => rs.find((r) => r.test(text));
    let r: RegExp | undefined;
    if ((r = hit(this.patterns.working, tail))) return { ...base, state: 'working', because: cue(r) };
    if (this.preset.errorLines > 0 && (r = hit(this.patterns.error, errorTail))) return { ...base, state: 'error', because: cue(r) };
    if ((r = hit(this.patterns.menu, tail))) return { ...base, state: 'waiting-for-input', menu: true, because: `menu ${cue(r)}` };
    if ((r = hit(this.patterns.prompt, tail))) return { ...base, state: 'waiting-for-input', because: cue(r) };
    return { ...base, state: 'unknown', because: 'no pattern matched' };
  }
}

/** Longest pattern source a `because` quotes whole; a longer one is cut (an error cue can run to 130 characters). */
const CUE_MAX = 60;

/** A matched pattern as `because` names it: `/source/`, cut to {@link CUE_MAX} characters with an ellipsis. */
function cue(r: RegExp): string {
  return `/${r.source.length > CUE_MAX ? `${r.source.slice(0, CUE_MAX - 1)}…` : r.source}/`;
}

/** A line of nothing but spaces and box-drawing (frames, rules): blank for the tail windows. */
const FRAME_ONLY = /^[\s│┃║|╭╮╰╯┌┐└┘├┤┬┴─━═╹▀▄]*$/;
/** Spinner glyphs the CLIs cycle through (braille dots are matched as a range). */
const SPINNER_GLYPHS = /[\u2800-\u28ff✻✶✢✳✽✺✹✸✷✦✧·•◦◐◓◑◒◴◵◶◷⏺∙*]/g;
/** An elapsed time in any of the CLIs' forms: "9s", "1m 4s", "1h 2m 3s", "2.5s". */
const ELAPSED = /(?:\d+h ?)?(?:\d+m ?)?\d+(?:\.\d+)?s\b/g;
/** A count: "12", "3,400", "4.1k", "2M". */
const NUMBER = /\d+(?:[.,]\d+)*[kKM]?/g;
/** A line drawn only in braille dots: an animated logo (codex's start screen). */
const BRAILLE_ART_LINE = /^[\s\u2800-\u28ff]*[\u2800-\u28ff][\s\u2800-\u28ff]*$/gm;
/** Progress-bar and "knight rider" blocks. */
const BAR_GLYPHS = /[■⬝▪▫▰▱]/g;

/**
 * The screen as compared for stability and stall: the preset's `animated` texts become `~`, spinner
 * glyphs `*`, progress-bar blocks `■`, lines of braille art (an animated logo) `⠿`, elapsed times
 * `#s` (so "59s" and "1m 0s" compare equal), numbers `#` (countdowns, attempt and token counts);
 * trailing spaces are dropped and runs of spaces shortened (a right-aligned footer moves when a
 * counter gains a digit). Two screens that differ only in what animates have
 * the same key; new output changes it.
 */
export function stabilityKey(screen: string, animated: readonly RegExp[] = []): string {
  let key = screen;
  for (const r of animated) key = key.replace(r, '~');
  return key
    .replace(BRAILLE_ART_LINE, '⠿')
    .replace(SPINNER_GLYPHS, '*')
    .replace(BAR_GLYPHS, '■')
    .replace(ELAPSED, '#s')
    .replace(NUMBER, '#')
    .replace(/[ \t]+$/gm, '')
    .replace(/[ \t]{2,}/g, '  ');
}
