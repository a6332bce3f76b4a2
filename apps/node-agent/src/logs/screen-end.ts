/**
 * tmux's remain-on-exit message, "Pane is dead (status 0, <date>)" or "(signal TERM, <date>)", at
 * the end of a dead pane's last line: `capture-pane -J` joins it to the last output line when that
 * line wrapped.
 */
const DEAD_MARK = /Pane is dead(?: \([^()]*\))?\s*$/;

/** Lines of a dead pane's text that hold output: blank lines and tmux's "Pane is dead" message dropped. */
export function screenOutputLines(screen: string): string[] {
  const lines = screen.split('\n').filter((l) => l.trim() !== '');
  if (lines.length > 0) lines[lines.length - 1] = lines.at(-1)!.replace(DEAD_MARK, '');
  return lines.filter((l) => l.trim() !== '');
}

/** Text without whitespace: a log rendered by us and a screen captured by tmux wrap differently. */
export const squeeze = (s: string): string => s.replace(/\s+/g, '');

/**
 * `tail` completed with the end of `screen` it lacks: the screen lines after the longest run of
 * them, from its top, that the tail already ends with (whitespace ignored: wrapping differs).
 * Used when the log never caught up with the dead pane (its pipe-pane reader stalled): the screen
 * is what the process printed last, so its end is kept rather than lost. A tail that shares no
 * such run with the screen gets the whole screen appended.
 */
export function withScreenEnd(tail: string, screen: string): string {
  const lines = screenOutputLines(screen);
  const have = squeeze(tail);
  let covered = 0;
  let prefix = '';
  for (let i = 0; i < lines.length; i++) {
    prefix += squeeze(lines[i]!);
    if (have.endsWith(prefix)) covered = i + 1;
  }
  const missing = lines.slice(covered);
  if (missing.length === 0) return tail;
  return `${tail.replace(/\s+$/, '')}${tail.trim() === '' ? '' : '\n'}${missing.join('\n')}`;
}
