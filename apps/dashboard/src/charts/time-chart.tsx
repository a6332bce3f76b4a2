import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** A horizontal band to shade on the y scale (the node's CPU band). */
export interface Band {
  low: number;
  high: number;
}

/** One line of a chart. */
export interface Line {
  label: string;
  values: (number | null)[];
  color: string;
  fill?: string;
}

/** Shades [low, high] of the y scale behind the series (uPlot draw hook). */
function bandPlugin(getBand: () => Band | undefined): uPlot.Plugin {
  return {
    hooks: {
      // drawn over the series so it stays visible when the CPU fill covers it
      draw: (u: uPlot) => {
        const band = getBand();
        if (!band) return;
        const { ctx } = u;
        const top = u.valToPos(band.high, 'y', true);
        const bottom = u.valToPos(band.low, 'y', true);
        ctx.save();
        ctx.fillStyle = 'rgba(63, 185, 80, 0.18)';
        ctx.fillRect(u.bbox.left, top, u.bbox.width, bottom - top);
        ctx.strokeStyle = 'rgba(63, 185, 80, 0.9)';
        ctx.setLineDash([4, 4]);
        ctx.beginPath();
        ctx.moveTo(u.bbox.left, top);
        ctx.lineTo(u.bbox.left + u.bbox.width, top);
        ctx.moveTo(u.bbox.left, bottom);
        ctx.lineTo(u.bbox.left + u.bbox.width, bottom);
        ctx.stroke();
        ctx.restore();
      },
    },
  };
}

/** A tick label: `14:05:30` over a short span, `Nov 28 14:00` over days. */
function timeLabel(seconds: number, all: number[]): string {
  const d = new Date(seconds * 1000);
  const span = all.length > 1 ? all[all.length - 1]! - all[0]! : 0;
  if (span > 86_400) return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: span > 3600 ? undefined : '2-digit' });
}

/**
 * A time series chart (uPlot): x in seconds since epoch, one or more lines, an optional fixed y
 * range and shaded band. Created once, then fed new data in place.
 */
export function TimeChart(props: { times: number[]; lines: Line[]; yMax?: number; unit: string; band?: Band; height?: number; width?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const band = useRef<Band | undefined>(props.band);
  band.current = props.band;
  const data = [props.times, ...props.lines.map((l) => l.values)] as uPlot.AlignedData;

  useEffect(() => {
    if (!el.current) return;
    const width = props.width ?? Math.max(240, el.current.clientWidth || 320);
    const axis = { stroke: '#8b949e', grid: { stroke: '#30363d', width: 1 }, ticks: { stroke: '#30363d', width: 1 } };
    const opts: uPlot.Options = {
      width,
      height: props.height ?? 140,
      legend: { show: props.lines.length > 1, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        // a single sample is centred in ten minutes (uPlot would stretch it to 86,400 of its seconds-as-ms, ~3 years)
        x: { time: true, range: (u, min, max) => (u.data[0].length === 1 ? [u.data[0][0]! - 300, u.data[0][0]! + 300] : [min, max]) },
        y: props.yMax !== undefined ? { range: [0, props.yMax] } : { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [
        { ...axis, space: 70, values: (_u, vals) => vals.map((v) => timeLabel(v, vals)) },
        { ...axis, size: 56, values: (_u, vals) => vals.map((v) => `${Number.isInteger(v) ? v : v.toFixed(1)}${props.unit}`) },
      ],
      series: [{}, ...props.lines.map((l) => ({ label: l.label, stroke: l.color, fill: l.fill, width: 1.5, points: { show: props.times.length < 3, size: 6 } }))],
      plugins: [bandPlugin(() => band.current)],
    };
    plot.current = new uPlot(opts, data, el.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
    // the chart is built once per mount; data flows in through setData below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.lines.length, props.yMax, props.unit, props.times.length < 3]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return <div class="chart" ref={el} />;
}
