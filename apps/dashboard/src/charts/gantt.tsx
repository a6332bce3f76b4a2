import type { AttemptBar } from '../run-live.js';
import { formatDuration } from '../ui.js';
import { ganttLayout, ticks } from './layout.js';

const LANE_H = 26;
const ROW_PAD = 4;
const LABEL_W = 130;
const WIDTH = 1000;
const AXIS_H = 22;

/**
 * Tasks across nodes over time: a row per node, a bar per attempt from its start to its end (or
 * now while it runs), coloured by state. SVG, redrawn as the run changes.
 */
export function Gantt({ bars, now, onOpen }: { bars: AttemptBar[]; now: number; onOpen?: (taskId: string) => void }) {
  if (bars.length === 0) return <p class="muted">No task has started on a node yet.</p>;
  const { rows, laneOf } = ganttLayout(bars, now);
  const rowTop: number[] = [];
  let y = AXIS_H;
  for (const r of rows) {
    rowTop.push(y);
    y += r.lanes * LANE_H + ROW_PAD;
  }
  const from = Math.min(...bars.map((b) => b.start));
  const to = Math.max(from + 1000, ...bars.map((b) => b.end ?? now));
  const x = (t: number) => LABEL_W + ((t - from) / (to - from)) * (WIDTH - LABEL_W - 10);
  const height = y + 4;
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
      {rows.map((r, i) => (
        <g key={r.nodeId}>
          <text x={6} y={rowTop[i]! + (r.lanes * LANE_H) / 2 + 5} class="row-label">
            {r.nodeId}
          </text>
          <line x1={0} x2={WIDTH} y1={rowTop[i]! + r.lanes * LANE_H + ROW_PAD / 2} y2={rowTop[i]! + r.lanes * LANE_H + ROW_PAD / 2} class="row-sep" />
        </g>
      ))}
      {bars.map((b) => {
        const row = rows.findIndex((r) => r.nodeId === b.nodeId);
        const x1 = x(b.start);
        const w = Math.max(3, x(b.end ?? now) - x1);
        const top = rowTop[row]! + laneOf.get(b)! * LANE_H + 3;
        return (
          <g key={`${b.taskId}#${b.attempt}`} class={`bar state-${b.state}`} data-task={b.taskId} data-state={b.state} onClick={() => onOpen?.(b.taskId)}>
            <title>{`${b.taskId} attempt ${b.attempt} on ${b.nodeId}: ${b.state}, ${formatDuration((b.end ?? now) - b.start)}`}</title>
            <rect x={x1} y={top} width={w} height={LANE_H - 6} rx={3} />
            {w > 40 ? (
              <text x={x1 + 4} y={top + LANE_H / 2 + 1} class="bar-label">
                {b.attempt > 1 ? `${b.taskId} #${b.attempt}` : b.taskId}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}
