/**
 * Reads the options of the menu an agent CLI shows, from its pane text. Pure; tested on every
 * captured menu of `presets/fixtures/<cli>/menu-*.txt`. Two layouts are known:
 * - **lists** with a selection marker on the current option: claude `❯ No, exit`, codex
 *   `› 1. Trust and continue` / `> 1. Sign in with ChatGPT`, gemini `● 2. Use Gemini API Key`, qwen
 *   `› Coding Plan`; numbered or not, inside a box (`│`) or not, with description lines below an
 *   option (indented further, or - qwen - the second line of a blank-separated group);
 * - **inline questions** like aider's `Create new file? (Y)es/(N)o [Yes]:` whose options are
 *   picked by their letter.
 */

/** One option read from the screen. */
export interface ParsedOption {
  /** 1 = the top option. */
  index: number;
  label: string;
  /** The number printed before it (`1.`), if any. */
  number?: number;
  /** The letter that picks it (inline questions). */
  key?: string;
}

/** A menu read from the screen. */
export interface ParsedMenu {
  layout: 'list' | 'inline';
  options: ParsedOption[];
  /** Index of the option under the marker (lists), or the default (inline, when shown). */
  selected?: number;
}

/** Characters CLIs draw before the selected option. */
export const SELECTION_MARKERS = '❯›>●▶►➤';
const MARKED = new RegExp(`^(\\s*)[${SELECTION_MARKERS}]\\s+(\\S.*)$`);
const NUMBERED = /^(\d{1,2})[.)]\s+(\S.*)$/;
/** Lines after the last option a menu may have (hints, notices); more means the list is history above another dialog. */
const MAX_LINES_BELOW = 10;
const FRAME_ONLY = /^[\s─━═│┃╭╮╰╯┌┐└┘├┤┬┴┼╌┄•·-]*$/;

/** A line without its box: a leading and a trailing `│` (with the spaces outside them) removed. */
function inner(line: string): string {
  return line.replace(/^\s*[│┃]/, '').replace(/[│┃]\s*$/, '').replace(/\s+$/, '');
}

const indentOf = (s: string) => s.length - s.trimStart().length;

/** The label of an option line: up to a gap of two spaces (codex puts the description on the same line). */
function labelOf(text: string): string {
  return text.trim().split(/\s{2,}/)[0]!.trim();
}

/** Reads the bottom-most menu on `screen`, or undefined when none is recognisable. */
export function parseMenu(screen: string): ParsedMenu | undefined {
  const lines = screen.replace(/\s+$/, '').split('\n').map(inner);
  return parseList(lines) ?? parseInline(lines);
}

function parseList(lines: string[]): ParsedMenu | undefined {
  let at = -1;
  let m: RegExpExecArray | null = null;
  for (let i = lines.length - 1; i >= 0 && at < 0; i--) {
    m = MARKED.exec(lines[i]!);
    if (m) at = i;
  }
  if (at < 0 || !m) return undefined;
  const textCol = lines[at]!.length - m[2]!.length;
  const numbered = NUMBERED.exec(m[2]!);
  // an unnumbered marked line at column 0 is an input box with text in it (claude `❯ `, codex `› `): menus indent theirs
  if (!numbered && m[1] === '') return undefined;
  const entries = numbered ? numberedBlock(lines, at, textCol) : plainBlock(lines, at, textCol);
  if (!entries || entries.rows.length < 2) return undefined;
  const below = lines.slice(entries.last + 1).filter((l) => !FRAME_ONLY.test(l)).length;
  if (below > MAX_LINES_BELOW) return undefined;
  const options = entries.rows.map((r, i): ParsedOption => {
    const n = NUMBERED.exec(r.text);
    return n ? { index: i + 1, number: Number(n[1]), label: labelOf(n[2]!) } : { index: i + 1, label: labelOf(r.text) };
  });
  const selected = entries.rows.findIndex((r) => r.line === at) + 1;
  return { layout: 'list', options, selected: selected || undefined };
}

interface Row {
  line: number;
  /** The option's text from its column on (marker removed). */
  text: string;
}

/** The text of line `i` from column `col` on, when the line is an option at that column (a marker before it allowed). */
function rowAt(lines: string[], i: number, col: number): string | undefined {
  const l = lines[i]!;
  if (indentOf(l) === col) return l.slice(col);
  const m = MARKED.exec(l);
  return m && l.length - m[2]!.length === col ? m[2]! : undefined;
}

/** Numbered options (`1. x`, `2. y`) at the column of the marked one; deeper lines are descriptions; a shallower line ends the list. */
function numberedBlock(lines: string[], at: number, col: number): { rows: Row[]; last: number } | undefined {
  const rows: Row[] = [{ line: at, text: rowAt(lines, at, col)! }];
  const walk = (step: 1 | -1) => {
    for (let i = at + step; i >= 0 && i < lines.length; i += step) {
      const l = lines[i]!;
      if (l.trim() === '') continue;
      const text = rowAt(lines, i, col);
      if (text !== undefined && NUMBERED.test(text)) {
        if (step === 1) rows.push({ line: i, text });
        else rows.unshift({ line: i, text });
        continue;
      }
      if (indentOf(l) > col && !MARKED.test(l)) continue;
      return;
    }
  };
  walk(-1);
  walk(1);
  const numbers = rows.map((r) => Number(NUMBERED.exec(r.text)![1]));
  if (numbers.some((n, i) => i > 0 && n !== numbers[i - 1]! + 1)) return undefined;
  return { rows, last: rows[rows.length - 1]!.line };
}

/**
 * Unnumbered options at the column of the marked one. Lines at that column next to each other are
 * options (claude's `No, exit` / `Yes, I trust this folder`), unless the block is made of
 * blank-separated groups (qwen: option, description, blank line): then each group's first line is
 * the option. Deeper lines are descriptions; a shallower line ends the list.
 */
function plainBlock(lines: string[], at: number, col: number): { rows: Row[]; last: number } | undefined {
  let first = at;
  let last = at;
  for (let i = at - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (l.trim() === '' || indentOf(l) > col || rowAt(lines, i, col) !== undefined) first = l.trim() === '' ? first : i;
    else break;
  }
  for (let i = at + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === '' || indentOf(l) > col || rowAt(lines, i, col) !== undefined) last = l.trim() === '' ? last : i;
    else break;
  }
  const groups: Row[][] = [];
  let group: Row[] | undefined;
  for (let i = first; i <= last; i++) {
    const l = lines[i]!;
    if (l.trim() === '') {
      group = undefined;
      continue;
    }
    const text = rowAt(lines, i, col);
    if (text === undefined) continue;
    if (!group) groups.push((group = []));
    group.push({ line: i, text });
  }
  const grouped = groups.length >= 2 && groups.some((g) => g.length > 1);
  const rows = grouped ? groups.map((g) => g[0]!) : groups.flat();
  // the marked line must be an option, not a description
  if (!rows.some((r) => r.line === at)) return undefined;
  return { rows, last };
}

const INLINE = /\((\w)\)(\w[\w' ]*?)(?=\/|\s*\[|\s*:|\s*$)/g;

/** aider's `Question? (Y)es/(N)o [Yes]:` on one of the last lines: options by letter, the bracketed default selected. */
function parseInline(lines: string[]): ParsedMenu | undefined {
  const tail = lines.filter((l) => l.trim() !== '').slice(-3);
  for (let i = tail.length - 1; i >= 0; i--) {
    const l = tail[i]!;
    const found = [...l.matchAll(INLINE)];
    if (found.length < 2) continue;
    const options = found.map((f, j): ParsedOption => ({ index: j + 1, label: `${f[1]}${f[2]}`.trim(), key: f[1]!.toLowerCase() }));
    const def = /\[([^\]]+)\]\s*:?\s*$/.exec(l)?.[1]?.trim().toLowerCase();
    const selected = options.find((o) => o.label.toLowerCase() === def)?.index;
    return { layout: 'inline', options, selected };
  }
  return undefined;
}
