import type { RunEvent } from '@shoal/protocol';
import { eventLine } from '../render.js';

/** One plain line (or a few, for output and check-ins) per event of `shoal run --follow`; undefined for events not shown. */
export function followLine(e: RunEvent, t0: number): string | undefined {
  if (e.type === 'agent') return `${`+${((e.at - t0) / 1000).toFixed(2)}s`.padStart(9)}   task ${e.taskId}#${e.attempt} agent ${e.state}`;
  return eventLine(e, t0);
}
