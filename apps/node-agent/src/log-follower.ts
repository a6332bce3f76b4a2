import { setTimeout as sleep } from 'node:timers/promises';
import { open, stat } from 'node:fs/promises';
import { DEFAULT_PANE_SIZE, type PaneSize, TerminalRenderer, renderTerminal } from '@shoal/runtime';
import { type RotationPolicy, rotateIfNeeded } from './logs/log-rotation.js';
import { readLogEnd } from './logs/log-tail.js';
import { screenOutputLines, squeeze, withScreenEnd } from './logs/screen-end.js';

/**
 * The last `chars` characters of a task log rendered as text (what the screen showed: see
 * {@link renderTerminal}); '' if the file does not exist. Renders the last 64 KiB (at least 16
 * bytes per wanted character), so a TUI's final screen is there even when it repainted a lot.
 */
export async function readTail(path: string, chars = 4096, size: PaneSize = DEFAULT_PANE_SIZE): Promise<string> {
  const bytes = await readLogEnd(path, Math.max(64 * 1024, chars * 16));
  if (bytes.length === 0) return '';
  return (await renderTerminal(bytes, size)).slice(-chars);
}

/** The longest the log is waited for to catch up with its pane's last line at exit. */
const CATCH_UP_MS = 2000;

/**
 * The log's tail once it holds the pane's last line: at exit, tmux hands the pane's last output to
 * pipe-pane's `cat`, which a loaded host may not have run yet, so a tail read at once could miss the
 * output's end (or all of it). `screen` is the dead pane's text (`capture-pane`); its last line
 * other than tmux's "Pane is dead" is looked for in the rendered tail, whitespace ignored (wrapping
 * differs), every 25 ms for at most 2 s. A log still behind then (its `cat` starved: a loaded box
 * can hold it for seconds) gets the screen's lines it lacks ({@link withScreenEnd}), so the end of
 * the output is never dropped; without a screen the tail is read once.
 */
export async function readFinalTail(path: string, screen: string | undefined, chars = 4096, now: () => number = Date.now): Promise<string> {
  const lastLine = screen === undefined ? undefined : screenOutputLines(screen).at(-1);
  const last = lastLine === undefined ? undefined : squeeze(lastLine).slice(-40);
  const deadline = now() + CATCH_UP_MS;
  for (;;) {
    const tail = await readTail(path, chars);
    if (!last || squeeze(tail).includes(last)) return tail;
    if (now() >= deadline) return withScreenEnd(tail, screen!).slice(-chars);
    await sleep(25);
  }
}

/**
 * Ticks between two showings of a screen that keeps changing (10 s at the default 0.5 s tick):
 * while output keeps coming (a spinner) the changed screen is still shown this often, and a
 * screen whose rows changed only in their numbers (a countdown, a counter) at most this often.
 */
const SCREEN_EVERY_TICKS = 20;

/**
 * Follows a growing log file and hands new text to `emit`, reading at most `maxBatchBytes` per
 * tick (rate limit); the full log always stays on disk. The bytes are played in a headless
 * terminal of the pane's size ({@link TerminalRenderer}) and what is emitted is readable text:
 * lines that scrolled off as they go, and the part of the screen that changed since it was last
 * shown whenever the output pauses for a tick, at least every {@link SCREEN_EVERY_TICKS} ticks
 * (10 s) while it does not, and at {@link stop}. A screen a TUI repaints without change gives
 * nothing; a spinner, and a row whose numbers alone changed (a countdown repainted every second),
 * are shown at most once per {@link SCREEN_EVERY_TICKS} ticks, the latter also when the output
 * went quiet meanwhile.
 */
export class LogFollower {
  private offset = 0;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private stopped = false;
  /** Bytes were played since the screen was last shown. */
  private dirty = false;
  private ticksSinceShown = 0;
  private ticksSinceCounters = 0;
  private readonly renderer: TerminalRenderer;

  constructor(
    private readonly path: string,
    private readonly emit: (text: string) => void,
    private readonly intervalMs = 500,
    private readonly maxBatchBytes = 16 * 1024,
    private readonly rotation?: RotationPolicy,
    size: PaneSize = DEFAULT_PANE_SIZE,
  ) {
    this.renderer = new TerminalRenderer(size);
  }

  /** Starts following; `fromOffset` skips what the file already holds (a re-adopted attempt). */
  start(fromOffset = 0): void {
    this.offset = fromOffset;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops following after one last read, and emits what changed on the screen. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    if (this.stopped) return;
    await this.tick();
    this.stopped = true;
    this.send(this.renderer.takeScreenChanges(true));
    this.renderer.dispose();
  }

  private send(lines: string[]): void {
    if (lines.length > 0) this.emit(`${lines.join('\n')}\n`);
  }

  private showScreen(): void {
    const counters = this.ticksSinceCounters >= SCREEN_EVERY_TICKS;
    if (counters) this.ticksSinceCounters = 0;
    this.send(this.renderer.takeScreenChanges(false, counters));
    this.dirty = this.renderer.countersPending; // a held-back counter is shown once due, though the output went quiet
    this.ticksSinceShown = 0;
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    this.ticksSinceCounters++;
    try {
      if (this.rotation && (await rotateIfNeeded(this.path, this.rotation))) this.offset = 0;
      const { size } = await stat(this.path);
      if (size < this.offset) this.offset = 0;
      if (size <= this.offset) {
        if (this.dirty) this.showScreen(); // quiet: the screen as it stands
        return;
      }
      const len = Math.min(size - this.offset, this.maxBatchBytes);
      const fh = await open(this.path, 'r');
      const buf = Buffer.alloc(len);
      try {
        await fh.read(buf, 0, len, this.offset);
        this.offset += len;
      } finally {
        await fh.close();
      }
      await this.renderer.write(buf);
      this.send(this.renderer.takeNewLines());
      this.dirty = true;
      if (++this.ticksSinceShown >= SCREEN_EVERY_TICKS) this.showScreen();
    } catch {
      /* not created yet */
    } finally {
      this.busy = false;
    }
  }
}
