import type { PhaseView } from '../types.js';
import { phaseLayers } from './layout.js';

const BOX_W = 150;
const BOX_H = 40;
const GAP_X = 60;
const GAP_Y = 16;

/** The run's phases as a left-to-right graph of `dependsOn` edges, each box coloured by state. */
export function PhaseGraph({ phases }: { phases: PhaseView[] }) {
  const layers = phaseLayers(phases);
  const columns: PhaseView[][] = [];
  for (const p of phases) (columns[layers.get(p.id)!] ??= []).push(p);
  const pos = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) => col.forEach((p, r) => pos.set(p.id, { x: 10 + c * (BOX_W + GAP_X), y: 10 + r * (BOX_H + GAP_Y) })));
  const width = 20 + columns.length * (BOX_W + GAP_X) - GAP_X;
  const height = 20 + Math.max(...columns.map((c) => c.length)) * (BOX_H + GAP_Y) - GAP_Y;
  return (
    <svg class="phase-graph" viewBox={`0 0 ${width} ${height}`} width={Math.min(width, 1000)} role="img" aria-label="phase graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
        </marker>
      </defs>
      {phases.flatMap((p) =>
        p.dependsOn
          .filter((d) => pos.has(d))
          .map((d) => {
            const a = pos.get(d)!;
            const b = pos.get(p.id)!;
            const x1 = a.x + BOX_W;
            const y1 = a.y + BOX_H / 2;
            const x2 = b.x;
            const y2 = b.y + BOX_H / 2;
            const mid = (x1 + x2) / 2;
            return <path key={`${d}->${p.id}`} d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 2},${y2}`} class="edge" marker-end="url(#arrow)" />;
          }),
      )}
      {phases.map((p) => {
        const { x, y } = pos.get(p.id)!;
        return (
          <g key={p.id} class={`phase state-${p.state}`} data-phase={p.id} data-state={p.state}>
            <title>{`${p.id}: ${p.state}${p.reason ? ` (${p.reason})` : ''}`}</title>
            <rect x={x} y={y} width={BOX_W} height={BOX_H} rx={6} />
            <text x={x + 10} y={y + 17} class="phase-name">
              {p.id.length > 18 ? `${p.id.slice(0, 17)}…` : p.id}
            </text>
            <text x={x + 10} y={y + 32} class="phase-state">
              {p.state}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
