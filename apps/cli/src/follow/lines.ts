import { NEEDS_OPERATOR, type RunEvent } from '@shoal/protocol';
import { eventLine } from '../render.js';

/**
 * One plain line (or a few, for output and check-ins) per event of `shoal run --follow`; undefined
 * for events not shown. Of the agent states only those that need an operator get a line (every
 * change is in `--json`).
 */
export function followLine(e: RunEvent, t0: number): string | undefined {
  if (e.type === 'agent') return NEEDS_OPERATOR.has(e.state) ? `${`+${((e.at - t0) / 1000).toFixed(2)}s`.padStart(9)}   task ${e.taskId}#${e.attempt} agent ${e.state}` : undefined;
  return eventLine(e, t0);
}
