import { constants } from 'node:os';
import { TmuxCommandError } from './errors.js';
import type { PaneExit, TmuxSessionInfo, TmuxWindowInfo } from './types.js';

/** Field separator in our formats; user-controlled text (names) always comes last. */
const SEP = '\t';

/** list-panes / list-windows format for {@link parseWindowLine}. */
export const WINDOW_FORMAT = [
  '#{window_id}',
  '#{window_index}',
  '#{pane_id}',
  '#{pane_pid}',
  '#{pane_dead}',
  '#{pane_dead_status}',
  '#{pane_dead_signal}',
  '#{pane_in_mode}',
  '#{@shoal_lobby}',
  '#{window_name}',
].join(SEP);

/** list-sessions format for {@link parseSessionLine}. */
export const SESSION_FORMAT = ['#{session_id}', '#{session_windows}', '#{session_attached}', '#{session_name}'].join(SEP);

/** list-panes -a format for {@link parsePaneStatusLine}. */
export const PANE_STATUS_FORMAT = ['#{pane_id}', '#{pane_pid}', '#{pane_dead}', '#{pane_dead_status}', '#{pane_dead_signal}'].join(SEP);

/** new-window -P format for {@link parseCreatedLine}. */
export const CREATED_FORMAT = ['#{window_id}', '#{pane_id}', '#{pane_pid}'].join(SEP);

function split(line: string, fields: number): string[] {
  const parts = line.split(SEP);
  return [...parts.slice(0, fields - 1), parts.slice(fields - 1).join(SEP)];
}

/** Signal number -> name (`9` -> `SIGKILL`); undefined for empty input. */
export function signalName(value: string): string | undefined {
  if (value === '') return undefined;
  const n = Number(value);
  const name = Object.entries(constants.signals).find(([, num]) => num === n)?.[0];
  return name ?? `SIG${value}`;
}

/** Exit info from `pane_dead_status` / `pane_dead_signal` of a dead pane. */
export function exitFrom(status: string, signal: string): PaneExit {
  const sig = signalName(signal);
  if (sig) return { exitCode: null, signal: sig };
  return { exitCode: status === '' ? null : Number(status) };
}

/** Parses one {@link WINDOW_FORMAT} line; `lobby` marks the session's placeholder window. */
export function parseWindowLine(line: string): TmuxWindowInfo & { lobby: boolean } {
  const [windowId, index, paneId, pid, dead, status, signal, inMode, lobby, name] = split(line, 10);
  const exit = dead === '1' ? exitFrom(status, signal) : { exitCode: null };
  return {
    windowId,
    index: Number(index),
    name,
    paneId,
    pid: Number(pid),
    dead: dead === '1',
    exitCode: exit.exitCode,
    ...(exit.signal ? { signal: exit.signal } : {}),
    inMode: inMode === '1',
    lobby: lobby === '1',
  };
}

/** Parses one {@link SESSION_FORMAT} line. */
export function parseSessionLine(line: string): TmuxSessionInfo {
  const [id, windows, attached, name] = split(line, 4);
  return { id, name, windows: Number(windows), attached: Number(attached) > 0 };
}

/** Parses one {@link PANE_STATUS_FORMAT} line. */
export function parsePaneStatusLine(line: string): { paneId: string; pid: number; dead: boolean; exit: PaneExit } {
  const [paneId, pid, dead, status, signal] = split(line, 5);
  return { paneId, pid: Number(pid), dead: dead === '1', exit: exitFrom(status, signal) };
}

/** Parses the {@link CREATED_FORMAT} line printed by `new-window -P`. */
export function parseCreatedLine(line: string | undefined): { windowId: string; paneId: string; pid: number } {
  const [windowId, paneId, pid] = split(line ?? '', 3);
  if (!/^@\d+$/.test(windowId) || !/^%\d+$/.test(paneId)) throw new TmuxCommandError('new-window', `unexpected output ${JSON.stringify(line)}`);
  return { windowId, paneId, pid: Number(pid) };
}
