import type { IBuffer, Terminal } from '@xterm/headless';

/** A pane's size in cells. */
export interface PaneSize {
  cols: number;
  rows: number;
}

/** The size of Shoal's task panes unless the node-agent is told otherwise (tmux `default-size`). */
export const DEFAULT_PANE_SIZE: PaneSize = { cols: 200, rows: 50 };

/**
 * The largest piece fed to the terminal at once. The scrollback holds as many lines (a byte scrolls
 * at most one line), so nothing scrolls away unseen between two reads; it is cleared after each.
 */
const CHUNK_BYTES = 4096;
const ESC = 0x1b;

let xtermLoading: Promise<typeof import('@xterm/headless')> | undefined;
/** `@xterm/headless`, loaded on first use (the apps importing this library start without it). */
function loadXterm(): Promise<typeof import('@xterm/headless')> {
  xtermLoading ??= import('@xterm/headless').then((m) => m.default);
  return xtermLoading;
}
const CLEAR_SCROLLBACK = '\u001b[3J';
/** Synchronized output (DEC mode 2026): a program brackets each frame with these (codex does). */
const SYNC_BEGIN = Buffer.from('\u001b[?2026h', 'latin1');
const SYNC_END = Buffer.from('\u001b[?2026l', 'latin1');

/**
 * Turns recorded terminal bytes into text a person can read, by playing them in a headless
 * terminal of the pane's size (`@xterm/headless`): cursor moves become spaces and new lines,
 * colours and other escape sequences leave nothing, and a screen a TUI repaints in place is not
 * repeated. What it yields:
 * - {@link write}: the lines that scrolled off the top of the screen (final: nothing redraws
 *   them), and the last screen of an alternate-screen program when it leaves it;
 * - {@link screen}: the current screen;
 * - {@link takeNewLines} / {@link takeScreenChanges}: for a live stream, the above without what
 *   was already shown, and the part of the screen that changed since it was last shown.
 * Pure (no I/O, no clock); linear in the input: bytes are fed in chunks of at most 4 KiB and the
 * scrollback is read and cleared after each.
 */
export class TerminalRenderer {
  /** Lines final and not taken yet, with the absolute row they started on (-1: an alternate screen's). */
  private scrolled: { text: string; row: number }[] = [];
  /** Screen rows that scrolled off so far (the absolute index of the screen's first row). */
  private scrolledRows = 0;
  /** What a live stream last showed of each screen row (`n<absolute row>` normal, `a<row>` alternate). */
  private readonly shown = new Map<string, string>();
  /** Blank lines in a row at the end of what the live stream gave. */
  private blankRun = 0;
  /** Inside a synchronized update (a frame half drawn). */
  private midFrame = false;
  /** The last {@link takeScreenChanges} held back a screen whose rows changed only in their digits. */
  countersPending = false;
  /** The last non-blank alternate screen seen before it was erased or left. */
  private lastAltScreen?: string[];
  private queue: Promise<void>;
  /** The headless terminal, once `@xterm/headless` is loaded (before: nothing was played yet). */
  private terminal?: Terminal;
  private disposed = false;

  constructor(readonly size: PaneSize = DEFAULT_PANE_SIZE) {
    this.queue = loadXterm().then((x) => {
      if (!this.disposed) this.terminal = new x.Terminal({ cols: size.cols, rows: size.rows, scrollback: CHUNK_BYTES, allowProposedApi: true });
    });
  }

  private get term(): Terminal {
    if (!this.terminal) throw new Error('TerminalRenderer used after dispose');
    return this.terminal;
  }

  /** Feeds bytes (a UTF-8 character or an escape sequence split across calls is fine); resolves once they are played. */
  write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.queue = this.queue.then(() => this.play(bytes));
    return this.queue;
  }

  /** Lines final since the last call: scrolled off the screen, or the last screen of an alternate-screen program. */
  takeScrolled(): string[] {
    const out = this.scrolled.map((l) => l.text);
    this.scrolled = [];
    return out;
  }

  /**
   * For a live stream, what is new since the last call: the lines final since then (scrolled off
   * or left with an alternate screen) that were not already shown as they were by
   * {@link takeScreenChanges}. Runs of blank lines are cut to two across calls.
   */
  takeNewLines(): string[] {
    const out: string[] = [];
    for (const l of this.scrolled) if (l.row < 0 || this.shown.get(`n${l.row}`) !== stillKey(l.text)) out.push(l.text);
    this.scrolled = [];
    for (const key of this.shown.keys()) if (key.startsWith('n') && Number(key.slice(1)) < this.scrolledRows) this.shown.delete(key);
    return this.limitBlanks(out);
  }

  /**
   * For a live stream, at a moment the caller chooses (the screen went quiet, or a while passed):
   * {@link takeNewLines}, then the screen from its first row that differs from what was shown
   * last down to its last non-blank row. A screen repainted in place with the same text gives
   * nothing (an animation's frames count as the same text: braille art, spinner glyphs); a menu
   * whose selection moved gives the menu from that row down. Inside a
   * synchronized update (`ESC[?2026h` not yet closed: a frame being drawn) only the new lines,
   * unless `final` (the end of the stream). Unless `counters`, a screen whose rows changed only in
   * their digits counts as unchanged (and {@link countersPending} says so): a countdown or counter
   * repainted every second (`retrying in 5s`) is shown when the caller asks for counters, not at
   * every tick. Any other change shows the screen from its first changed row, counters included.
   */
  takeScreenChanges(final = false, counters = final): string[] {
    const out = this.takeNewLines();
    if ((this.midFrame && !final) || !this.terminal) return out;
    const buf = this.terminal.buffer.active;
    const screen = this.rows(buf, 0, this.size.rows);
    const key = (y: number) => (buf.type === 'normal' ? `n${this.scrolledRows + y}` : `a${y}`);
    const first = screen.findIndex((text, y) => this.shown.get(key(y)) !== stillKey(text));
    this.countersPending = false;
    if (first < 0) return out;
    if (!counters && screen.every((text, y) => sameButCounters(this.shown.get(key(y)), stillKey(text)))) {
      this.countersPending = true;
      return out;
    }
    screen.forEach((text, y) => this.shown.set(key(y), stillKey(text)));
    const changed = this.lines(buf, buf.baseY + first, screen.length - first).map((l) => l.text);
    return [...out, ...this.limitBlanks(changed)];
  }

  /** Drops blank lines beyond two in a row, counting across calls. */
  private limitBlanks(lines: string[]): string[] {
    return lines.filter((line) => {
      this.blankRun = line.trim() === '' ? this.blankRun + 1 : 0;
      return this.blankRun <= 2;
    });
  }

  /** The current screen as lines (rows wrapped at the edge joined), trailing spaces and trailing blank rows dropped. */
  screen(): string[] {
    if (!this.terminal) return [];
    const buf = this.terminal.buffer.active;
    return this.lines(buf, buf.baseY, this.rows(buf, 0, this.size.rows).length).map((l) => l.text);
  }

  /** Frees the terminal. */
  dispose(): void {
    this.disposed = true;
    this.terminal?.dispose();
    this.terminal = undefined;
  }

  /** Rows `from`..`to` (exclusive) of the screen, up to the last non-blank one. */
  private rows(buf: IBuffer, from: number, to: number): string[] {
    const out: string[] = [];
    let last = -1;
    for (let y = Math.max(0, from); y < to; y++) {
      const text = buf.getLine(buf.baseY + y)?.translateToString(true) ?? '';
      out.push(text);
      if (text.trim() !== '') last = out.length - 1;
    }
    return out.slice(0, last + 1);
  }

  /**
   * Rows `from`..`from+count` (absolute in `buf`) as lines: a row the terminal wrapped at the
   * edge continues the line above it (that row keeps its trailing spaces), with the row each line
   * starts on.
   */
  private lines(buf: IBuffer, from: number, count: number): { text: string; row: number }[] {
    const out: { text: string; row: number }[] = [];
    for (let y = from; y < from + count; y++) {
      const continues = y + 1 < from + count && buf.getLine(y + 1)?.isWrapped === true;
      const text = buf.getLine(y)?.translateToString(!continues) ?? '';
      const last = out[out.length - 1];
      if (last && y > from && buf.getLine(y)?.isWrapped) last.text += text;
      else out.push({ text, row: y });
    }
    return out;
  }

  private async play(bytes: Uint8Array): Promise<void> {
    for (const piece of chunks(bytes)) {
      for (const part of splitBeforeScreenWipes(piece)) {
        this.keepAltScreen(part);
        await this.feed(part);
        this.collectScrolled();
        const begin = Buffer.from(part.buffer, part.byteOffset, part.length).lastIndexOf(SYNC_BEGIN);
        const end = Buffer.from(part.buffer, part.byteOffset, part.length).lastIndexOf(SYNC_END);
        if (begin >= 0 || end >= 0) this.midFrame = begin > end;
      }
    }
  }

  private feed(data: Uint8Array): Promise<void> {
    return new Promise((resolve) => this.term.write(data, resolve));
  }

  /** Moves the lines that scrolled into the scrollback to {@link scrolled}, then clears it. */
  private collectScrolled(): void {
    const normal = this.term.buffer.normal;
    if (normal.baseY === 0) return;
    for (const l of this.lines(normal, 0, normal.baseY)) this.scrolled.push({ text: l.text.trimEnd(), row: this.scrolledRows + l.row });
    this.scrolledRows += normal.baseY;
    // clears the scrollback only (not the screen, not the cursor); written between two pieces,
    // which end right before an escape sequence (see chunks), so it never splits one
    this.term.write(CLEAR_SCROLLBACK);
  }

  /**
   * Before bytes that erase the alternate screen or leave it: its screen (when not blank) is
   * remembered, and on leaving, the last one remembered becomes final lines (programs such as
   * codex clear their screen before they leave it).
   */
  private keepAltScreen(part: Uint8Array): void {
    const buf = this.term.buffer.active;
    const wipe = screenWipeAt(part, 0);
    if (buf.type !== 'alternate' || !wipe) return;
    const screen = this.rows(buf, 0, this.size.rows);
    if (screen.length > 0) this.lastAltScreen = screen;
    if (wipe === 'leave' && this.lastAltScreen) {
      this.scrolled.push(...this.lastAltScreen.map((text) => ({ text, row: -1 })));
      this.lastAltScreen = undefined;
    }
  }
}

/** Braille art with the spaces around it (codex's animated logo): a frame of an animation, not text. */
const BRAILLE_ART = /\s*[\u2800-\u28ff][\u2800-\u28ff\s]*/g;
/** Spinner glyphs. */
const SPINNER = /[✻✶✢✳✽◐◓◑◒◦•]/g;

/** True when a row shown as `was` now reads `now` with only its numbers changed (or not at all); a new row is a change. */
function sameButCounters(was: string | undefined, now: string): boolean {
  return was !== undefined && was.replace(/\d+/g, '#') === now.replace(/\d+/g, '#');
}

/** A row's text with animation frames masked (art and blank count the same), to tell a real change from the next frame. */
function stillKey(text: string): string {
  return text.replace(BRAILLE_ART, ' ').replace(SPINNER, '*').trimEnd();
}

/** What starts at `i`: leaving the alternate screen (1049, 1047, 47), erasing the display (ED 0 or 2), or nothing. */
function screenWipeAt(bytes: Uint8Array, i: number): 'leave' | 'erase' | undefined {
  if (bytes[i] !== ESC || bytes[i + 1] !== 0x5b) return undefined;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset + i, Math.min(8, bytes.length - i)).toString('latin1');
  if (/^\u001b\[\?(?:1049|1047|47)l/.test(head)) return 'leave';
  return /^\u001b\[[02]?J/.test(head) ? 'erase' : undefined;
}

/** Splits a piece right before each {@link screenWipeAt}, so the alternate screen can be kept first. */
function splitBeforeScreenWipes(piece: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 1; i < piece.length; i++) {
    if (piece[i] === ESC && screenWipeAt(piece, i)) {
      parts.push(piece.subarray(start, i));
      start = i;
    }
  }
  if (start === 0) return [piece];
  parts.push(piece.subarray(start));
  return parts;
}

/**
 * Splits bytes into pieces of at most about {@link CHUNK_BYTES}, each ending right before an ESC
 * (a new escape sequence: the parser is between sequences there) or, without one, after a new line.
 */
export function* chunks(bytes: Uint8Array): Generator<Uint8Array> {
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + CHUNK_BYTES);
    if (end < bytes.length) {
      let cut = -1;
      for (let i = end; i > start; i--) if (bytes[i] === ESC) { cut = i; break; }
      if (cut < 0) for (let i = end; i > start; i--) if (bytes[i - 1] === 0x0a) { cut = i; break; }
      if (cut > start) end = cut;
      else while (end > start + 1 && (bytes[end]! & 0xc0) === 0x80) end--; // not inside a UTF-8 character
    }
    yield bytes.subarray(start, end);
    start = end;
  }
}


/**
 * Recorded terminal bytes as text: the lines that scrolled off, then the final screen (trailing
 * spaces dropped; runs of blank lines cut to two, none at the end: TUIs scroll blank lines by the
 * hundred when they redraw). See {@link TerminalRenderer}.
 */
export async function renderTerminal(bytes: Uint8Array | string, size: PaneSize = DEFAULT_PANE_SIZE): Promise<string> {
  const renderer = new TerminalRenderer(size);
  try {
    await renderer.write(bytes);
    return collapseBlankRuns([...renderer.takeScrolled(), ...renderer.screen()]).join('\n');
  } finally {
    renderer.dispose();
  }
}

/** Runs of more than two blank lines cut to two; no blank lines at the end. */
export function collapseBlankRuns(lines: string[]): string[] {
  const out: string[] = [];
  let blanks = 0;
  for (const line of lines) {
    blanks = line.trim() === '' ? blanks + 1 : 0;
    if (blanks <= 2) out.push(line);
  }
  while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
  return out;
}
