/** The reply to one command: the lines between `%begin` and `%end` / `%error`. */
export interface ControlReply {
  kind: 'reply';
  ok: boolean;
  /** tmux's command number (server-wide counter). */
  number: number;
  /** Server time (seconds) from the guard line. */
  time: number;
  /** 1 when the command came from this control client, 0 for the start-up command given on tmux's argv. */
  flags: number;
  lines: string[];
}

/** An asynchronous `%name args...` line outside a reply block. */
export interface ControlNotification {
  kind: 'notification';
  /** Without the `%`: `output`, `window-close`, `exit`, `sessions-changed`, `subscription-changed`, ... */
  name: string;
  /** Space-separated words after the name (for `%output` only the pane id; the data is in `data`). */
  args: string[];
  /** `%output` / `%extended-output` payload with tmux's octal escapes undone. */
  data?: string;
  raw: string;
}

/** A line that is neither a reply nor a notification (should not happen; reported, never fatal). */
export interface ControlStray {
  kind: 'stray';
  raw: string;
}

/** One parsed element of the control-mode stream. */
export type ControlEvent = ControlReply | ControlNotification | ControlStray;

const GUARD = /^%(begin|end|error) (\d+) (\d+) (\d+)$/;

/**
 * Turns control-mode lines into replies and notifications. Pure: feed it one line at a time
 * (without the trailing `\n`). A block ends only on an `%end` / `%error` guard with the same
 * command number and time as its `%begin`, so pane text that merely looks like a guard does not
 * end it early unless it guesses both.
 */
export class ControlModeParser {
  private open?: { number: number; time: number; flags: number; lines: string[] };

  /** Parses one line; returns the completed event, or undefined while inside a block. */
  push(line: string): ControlEvent | undefined {
    const guard = GUARD.exec(line);
    if (this.open) {
      if (guard && guard[1] !== 'begin' && Number(guard[3]) === this.open.number && Number(guard[2]) === this.open.time) {
        const { number, time, flags, lines } = this.open;
        this.open = undefined;
        return { kind: 'reply', ok: guard[1] === 'end', number, time, flags, lines };
      }
      this.open.lines.push(line);
      return undefined;
    }
    if (guard?.[1] === 'begin') {
      this.open = { time: Number(guard[2]), number: Number(guard[3]), flags: Number(guard[4]), lines: [] };
      return undefined;
    }
    if (line.startsWith('%') && !guard) return parseNotification(line);
    return { kind: 'stray', raw: line };
  }

  /** True while a reply block is open. */
  get inBlock(): boolean {
    return this.open !== undefined;
  }
}

function parseNotification(line: string): ControlNotification {
  const space = line.indexOf(' ');
  const name = (space < 0 ? line : line.slice(0, space)).slice(1);
  const rest = space < 0 ? '' : line.slice(space + 1);
  if (name === 'output') {
    const sep = rest.indexOf(' ');
    const pane = sep < 0 ? rest : rest.slice(0, sep);
    return { kind: 'notification', name, args: [pane], data: unescapeOutput(sep < 0 ? '' : rest.slice(sep + 1)), raw: line };
  }
  if (name === 'extended-output') {
    const colon = rest.indexOf(' : ');
    const head = colon < 0 ? rest : rest.slice(0, colon);
    return { kind: 'notification', name, args: head.split(' '), data: unescapeOutput(colon < 0 ? '' : rest.slice(colon + 3)), raw: line };
  }
  return { kind: 'notification', name, args: rest === '' ? [] : rest.split(' '), raw: line };
}

/** Undoes tmux's `%output` escaping: bytes below 0x20 and `\` are sent as `\ooo` (octal). */
export function unescapeOutput(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Splits a byte stream into lines at `\n`, decoding each complete line as UTF-8 (never splitting
 * a multi-byte character across chunks). Pure apart from its buffer.
 */
export class LineSplitter {
  private pending: Buffer[] = [];

  /** Adds a chunk and returns the lines it completed. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      this.pending.push(chunk.subarray(start, nl));
      lines.push(Buffer.concat(this.pending).toString('utf8'));
      this.pending = [];
      start = nl + 1;
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
    return lines;
  }
}
