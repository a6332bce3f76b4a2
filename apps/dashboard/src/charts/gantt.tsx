import type { AttemptBar } from '../run-live.js';
import { formatDuration } from '../ui.js';

const ROW_H = 28;
const LABEL_W = 130;
const WIDTH = 1000;
const AXIS_H = 22;

/** Rows of the chart: one per node, in order of first use. */
export function ganttRows(bars: AttemptBar[]): string[] {
  return [...new Set(bars.map((b) => b.nodeId))];
}

/** Tick times (ms) from `from` to `to` at a round step after the start (1 s, 2 s, 5 s, …), at most about `count`. */
export function ticks(from: number, to: number, count = 8): number[] {
  const span = Math.max(1, to - from);
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600].map((s) => s * 1000);
  const step = steps.find((s) => span / s <= count) ?? steps[steps.length - 1]!;
  const out: number[] = [];
  for (let t = from; t <= to; t += step) out.push(t);
  return out;
}

/**
 * Tasks across nodes over time: a row per node, a bar per attempt from its start to its end (or
 * now while it runs), coloured by state. SVG, redrawn as the run changes.
 */
export function Gantt({ bars, now, onOpen }: { bars: AttemptBar[]; now: number; onOpen?: (taskId: string) => void }) {
  if (bars.length === 0) return <p class="muted">No task has started on a node yet.</p>;
  const rows = ganttRows(bars);
  const from = Math.min(...bars.map((b) => b.start));
  const to = Math.max(from + 1000, ...bars.map((b) => b.end ?? now));
  const x = (t: number) => LABEL_W + ((t - from) / (to - from)) * (WIDTH - LABEL_W - 10);
  const height = AXIS_H + rows.length * ROW_H + 4;
  return (
    <svg class="gantt" viewBox={`0 0 ${WIDTH} ${height}`} width="100%" role="img" aria-label="Gantt chart of task attempts per node">
      {ticks(from, to).map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={AXIS_H - 4} y2={height} class="grid" />
          <text x={x(t)} y={12} class="axis" text-anchor="middle">
            {formatDuration(t - from)}
          </text>
        </g>
      ))}
      {rows.map((node, i) => (
        <g key={node}>
          <text x={6} y={AXIS_H + i * ROW_H + ROW_H / 2 + 4} class="row-label">
            {node}
          </text>
          <line x1={0} x2={WIDTH} y1={AXIS_H + (i + 1) * ROW_H} y2={AXIS_H + (i + 1) * ROW_H} class="row-sep" />
        </g>
      ))}
      {bars.map((b) => {
        const row = rows.indexOf(b.nodeId);
        const x1 = x(b.start);
        const w = Math.max(3, x(b.end ?? now) - x1);
        const y = AXIS_H + row * ROW_H + 4;
        return (
          <g key={`${b.taskId}#${b.attempt}`} class={`bar state-${b.state}`} data-task={b.taskId} data-state={b.state} onClick={() => onOpen?.(b.taskId)}>
            <title>{`${b.taskId} attempt ${b.attempt} on ${b.nodeId}: ${b.state}, ${formatDuration((b.end ?? now) - b.start)}`}</title>
            <rect x={x1} y={y} width={w} height={ROW_H - 8} rx={3} />
            {w > 40 ? (
              <text x={x1 + 4} y={y + ROW_H / 2} class="bar-label">
                {b.attempt > 1 ? `${b.taskId} #${b.attempt}` : b.taskId}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}
