import { formatDuration } from '../render.js';
import type { PhaseProgress } from './progress.js';

/** `[#####.....]` of `width` cells (at least 3) for `done` of `total`. */
export function bar(done: number, total: number, width: number): string {
  const inner = Math.max(1, width - 2);
  const filled = total > 0 ? Math.min(inner, Math.round((done / total) * inner)) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(inner - filled)}]`;
}

/**
 * At most `maxLines` lines of {@link phaseBars}: when the phases do not fit, the window starts
 * just before the first phase still running or waiting, and a last line says how many are left out.
 */
export function fittedPhaseBars(phases: readonly PhaseProgress[], width: number, maxLines: number): string[] {
  if (phases.length <= maxLines) return phaseBars(phases, width);
  const room = Math.max(1, maxLines - 1);
  const firstOpen = phases.findIndex((p) => p.state === 'pending' || p.state === 'running' || p.state === 'awaiting-operator');
  const from = Math.max(0, Math.min((firstOpen < 0 ? phases.length : firstOpen) - 1, phases.length - room));
  const shown = phases.slice(from, from + room);
  const done = phases.filter((p) => p.state === 'succeeded').length;
  const more = `… ${phases.length - shown.length} more phases (${done}/${phases.length} succeeded)`;
  return [...phaseBars(shown, width), more.slice(0, width)];
}

/**
 * One line per phase: name, bar, done/total, elapsed and ETA (or the phase's end state), each
 * line at most `width` characters. Pure.
 */
export function phaseBars(phases: readonly PhaseProgress[], width: number): string[] {
  const nameWidth = Math.min(16, Math.max(5, ...phases.map((p) => p.id.length)));
  return phases.map((p) => {
    const name = (p.id.length > nameWidth ? `${p.id.slice(0, nameWidth - 1)}…` : p.id).padEnd(nameWidth);
    const count = `${p.done}/${p.total}`.padStart(7);
    let tail: string;
    if (p.state === 'pending') tail = 'waiting';
    else if (p.state === 'running' || p.state === 'awaiting-operator') {
      const eta = p.etaMs === undefined ? 'ETA ?' : `ETA ${formatDuration(p.etaMs)}`;
      const extra = [p.running ? `${p.running} running` : '', p.needsYou ? `${p.needsYou} need${p.needsYou === 1 ? 's' : ''} you` : '', p.failed ? `${p.failed} failed` : '', p.state === 'awaiting-operator' ? 'awaits operator' : '']
        .filter(Boolean)
        .join(', ');
      tail = `${formatDuration(p.elapsedMs)} ${eta}${extra ? ` (${extra})` : ''}`;
    } else tail = `${p.state} in ${formatDuration(p.elapsedMs)}`;
    const fixed = name.length + 1 + count.length + 1 + 1 + tail.length;
    const barWidth = Math.max(5, Math.min(32, width - fixed - 1));
    const line = `${name} ${bar(p.done, p.total, barWidth)} ${count} ${tail}`;
    return line.length > width ? line.slice(0, Math.max(0, width)) : line;
  });
}
