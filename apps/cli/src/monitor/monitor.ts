import { type FleetStreamMessage, TransportError } from '@shoal/protocol';
import type { ApiClient } from '../api-client.js';
import { renderFrame } from './frame.js';
import { MonitorSource } from './source.js';

const ALT_SCREEN_ON = '\u001b[?1049h';
const ALT_SCREEN_OFF = '\u001b[?1049l';
const CURSOR_HIDE = '\u001b[?25l';
const CURSOR_SHOW = '\u001b[?25h';
const HOME = '\u001b[H';
const CLEAR_LINE_END = '\u001b[K';
const CLEAR_BELOW = '\u001b[J';
/** Keys that quit: q, Q, Ctrl-C, Ctrl-D. */
const QUIT_KEYS = new Set(['q', 'Q', '\u0003', '\u0004']);

/** Options of {@link monitor}. */
export interface MonitorOptions {
  /** Print one frame (no terminal control) and return. */
  once?: boolean;
  /** Data refresh period (default 1.5 s). */
  refreshMs?: number;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  /** Frame size for `once` (default: the terminal's, else 80x24). */
  width?: number;
  height?: number;
}

/**
 * `shoal monitor`: a live view of the fleet redrawn in place on the alternate screen (cursor
 * homed, each line cleared to its end: no flicker), refreshed every 1.5 s and on each event; `q`
 * or Ctrl-C quits and gives the terminal back as it was (raw mode off, cursor shown, main screen).
 * With `once`, one frame for scripts.
 */
export async function monitor(api: ApiClient, o: MonitorOptions = {}): Promise<number> {
  const input = o.input ?? process.stdin;
  const output = o.output ?? process.stdout;
  const source = new MonitorSource(api);
  if (o.once) {
    const data = await source.refresh();
    const lines = renderFrame(data, o.width ?? (output.isTTY ? output.columns : 80), o.height ?? (output.isTTY ? output.rows : 24));
    output.write(`${lines.join('\n')}\n`);
    return data.error ? 1 : 0;
  }
  if (!input.isTTY || !output.isTTY) throw new Error('shoal monitor needs a terminal (stdin and stdout); use `shoal monitor --once` for one frame');
  return new Promise<number>((resolve) => {
    let drawScheduled = false;
    let ended = false;
    const draw = () => {
      drawScheduled = false;
      if (ended) return;
      const lines = renderFrame(source.current, output.columns || 80, output.rows || 24).map(paint);
      output.write(`${HOME}${lines.map((l) => `${l}${CLEAR_LINE_END}`).join('\r\n')}${CLEAR_BELOW}`);
    };
    const soon = () => {
      if (drawScheduled || ended) return;
      drawScheduled = true;
      setTimeout(draw, 100);
    };
    const tick = async () => {
      await source.refresh();
      source.follow(soon);
      draw();
    };
    const timer = setInterval(() => void tick(), o.refreshMs ?? 1500);
    const onKey = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) if (QUIT_KEYS.has(ch)) return end();
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      source.close();
      input.off('data', onKey);
      output.off('resize', draw);
      for (const s of signals) process.off(s, end);
      input.setRawMode(false);
      input.pause();
      output.write(`${CURSOR_SHOW}${ALT_SCREEN_OFF}`);
      resolve(0);
    };
    for (const s of signals) process.on(s, end);
    output.write(`${ALT_SCREEN_ON}${CURSOR_HIDE}`);
    input.setRawMode(true);
    input.resume();
    input.on('data', onKey);
    output.on('resize', draw);
    draw();
    void tick();
  });
}

/**
 * `shoal monitor --json`: the fleet's live events for scripts, as JSON lines — each message of
 * `GET /events` as `{event, data}` ({@link FleetStreamMessage}: the run list first as `runs`,
 * then every run event but output). Needs no terminal. Ends with exit 0 on SIGINT/SIGTERM/SIGHUP,
 * or with an error when the coordinator closes the stream.
 */
export async function monitorJson(api: ApiClient, line: (value: FleetStreamMessage) => void): Promise<number> {
  const stream = await api.stream<FleetStreamMessage>('/events');
  let stopped = false;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const stop = () => {
    stopped = true;
    stream.close();
  };
  for (const s of signals) process.once(s, stop);
  try {
    for await (const m of stream.events) line(m);
  } finally {
    for (const s of signals) process.off(s, stop);
  }
  if (!stopped) throw new TransportError(`the event stream of ${api.base} closed`);
  return 0;
}

/** Colours after fitting (escape codes take no columns): the header inverse, "needs you" rows yellow. */
function paint(line: string, i: number): string {
  if (i === 0) return `\u001b[7m${line}\u001b[0m`;
  if (line.startsWith('! ')) return `\u001b[33;1m${line}\u001b[0m`;
  if (/^[A-Z]{4,}/.test(line)) return `\u001b[1m${line}\u001b[0m`;
  return line;
}
