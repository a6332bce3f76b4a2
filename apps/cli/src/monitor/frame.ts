import { NEEDS_OPERATOR, type NodeRow, type QueueStats, type RunEvent, type RunSummary } from '@shoal/protocol';
import { formatDuration } from '../render.js';

/** One node as `GET /nodes` answers it (its last heartbeat and liveness): the fields the monitor shows. */
export type MonitorNode = Pick<NodeRow, 'id' | 'state' | 'host' | 'running'> & Partial<Pick<NodeRow, 'capacity' | 'band'>>;

/** A run as `GET /runs` lists it: the fields the monitor shows. */
export type MonitorRun = Pick<RunSummary, 'id' | 'state' | 'tasks' | 'submittedAt'>;

/** Everything one frame shows. */
export interface MonitorData {
  api: string;
  /** When the data was read (ms since epoch). */
  at: number;
  nodes: MonitorNode[];
  runs: MonitorRun[];
  queue?: Pick<QueueStats, 'depth' | 'oldestWaitMs'>;
  /** Latest events, oldest first. */
  events: RunEvent[];
  /** Why the last refresh failed (the frame keeps the data it had). */
  error?: string;
  /** Whether the live event stream is open. */
  streaming?: boolean;
}

/** The default CPU band when a node reports none. */
const DEFAULT_BAND = { low: 40, high: 60 };
const ACTIVE_RUN = new Set(['pending', 'running', 'awaiting-operator']);

/** Fits a line to `width` (cut with `…`). */
export function fit(line: string, width: number): string {
  if (width <= 0) return '';
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * A CPU bar of `cells` cells (each 100/cells %) with the band's edges marked by `|`:
 * `[#######|###.|......]` is 50% with the band at 40-60%.
 */
export function cpuBar(percent: number, band: { low: number; high: number }, cells = 20): string {
  const step = 100 / cells;
  let s = '';
  for (let i = 0; i < cells; i++) {
    const from = i * step;
    if (Math.abs(from - band.low) < step / 2 || Math.abs(from - band.high) < step / 2) s += '|';
    s += from < percent ? '#' : '.';
  }
  return `[${s}]`;
}

const hhmmss = (t: number) => new Date(t).toISOString().slice(11, 19);

/** One event as a short line (no output text: it would flood the view). */
export function eventText(e: RunEvent): string | undefined {
  const run = e.runId.length > 24 ? `${e.runId.slice(0, 23)}…` : e.runId;
  switch (e.type) {
    case 'run':
      return `${hhmmss(e.at)} ${run} run ${e.state}${e.reason ? ` (${e.reason})` : ''}`;
    case 'phase':
      return `${hhmmss(e.at)} ${run} phase ${e.phaseId} ${e.state}`;
    case 'task':
      return e.state === 'pending' ? undefined : `${hhmmss(e.at)} ${run} ${e.taskId}#${e.attempt} ${e.state}${e.nodeId ? ` on ${e.nodeId}` : ''}${e.exitCode !== undefined && e.exitCode !== null ? ` exit ${e.exitCode}` : ''}`;
    case 'agent':
      return `${hhmmss(e.at)} ${run} ${e.taskId}#${e.attempt} agent ${e.state}`;
    case 'checkin':
      return `${hhmmss(e.at)} ${run} ${e.taskId}#${e.attempt} check-in ${e.seq}`;
    default:
      return undefined;
  }
}

/** A running agent with its node, "needs you" first, then longest in its state first. */
export function agentRows(nodes: readonly MonitorNode[]): (MonitorNode['running'][number] & { nodeId: string; needsYou: boolean })[] {
  return nodes
    .flatMap((n) => n.running.map((r) => ({ ...r, nodeId: n.id, needsYou: !!r.agent && NEEDS_OPERATOR.has(r.agent.state) })))
    .sort((a, b) => Number(b.needsYou) - Number(a.needsYou) || (a.agent?.since ?? Infinity) - (b.agent?.since ?? Infinity) || a.taskId.localeCompare(b.taskId));
}

/** A list section: a title, then rows cut to `room` lines (the last says how many more). */
function section(title: string, rows: string[], room: number, empty: string): string[] {
  if (room <= 0) return [];
  const body = rows.length === 0 ? [`  ${empty}`] : rows;
  if (body.length + 1 <= room) return [title, ...body];
  const shown = Math.max(0, room - 2);
  return [title, ...body.slice(0, shown), `  … ${body.length - shown} more`].slice(0, room);
}

/**
 * The monitor's screen for `data` at `width` x `height`: a header, nodes (CPU bar with the band
 * marked, memory, tasks), running agents ("needs you" first), queue and active runs, recent
 * events. Exactly `height` lines or fewer, each at most `width` characters. Pure.
 */
export function renderFrame(data: MonitorData, width: number, height: number): string[] {
  const agents = agentRows(data.nodes);
  const needs = agents.filter((a) => a.needsYou).length;
  const active = data.runs.filter((r) => ACTIVE_RUN.has(r.state));
  const header = `shoal monitor  ${hhmmss(data.at)}  nodes ${data.nodes.length}  agents ${agents.length}  needs you ${needs}  queued ${data.queue?.depth ?? '?'}`;
  const status = data.error ? `! ${data.error}` : `${data.api}  ${data.streaming ? 'live' : 'polling'}  q: quit`;

  const nodeRows = data.nodes.map((n) => {
    const band = n.band ?? DEFAULT_BAND;
    const cpu = `${Math.round(n.host.cpuPercent)}%`.padStart(4);
    const mem = `${(n.host.memUsedMb / 1024).toFixed(1)}/${(n.host.memTotalMb / 1024).toFixed(1)}G`;
    const tasks = `${n.running.length}${n.capacity ? `/${n.capacity.maxTasks}` : ''}`;
    return `  ${n.id.padEnd(12).slice(0, 12)} ${n.state.padEnd(7)} ${cpuBar(n.host.cpuPercent, band)} ${cpu} mem ${mem.padEnd(9)} tasks ${tasks}`;
  });
  const agentLines = agents.map((a) => {
    const state = a.agent ? `${a.agent.state} ${formatDuration(data.at - a.agent.since)}` : 'running';
    const usage = a.cpuPercent !== undefined ? `  ${Math.round(a.cpuPercent)}% ${Math.round(a.rssMb ?? 0)}M` : '';
    return `${a.needsYou ? '! ' : '  '}${`${a.taskId}#${a.attempt}`.padEnd(16).slice(0, 16)} ${state.padEnd(24)} ${a.nodeId.padEnd(12).slice(0, 12)} ${a.runId}${usage}`;
  });
  const queue = data.queue ? `QUEUE ${data.queue.depth} waiting${data.queue.depth ? `, oldest ${formatDuration(data.queue.oldestWaitMs)}` : ''}  RUNS ${active.length} active: ${active.map((r) => `${r.id} ${r.state}`).join(', ') || 'none'}` : `RUNS ${active.length} active`;
  const eventLines = data.events.map(eventText).filter((l): l is string => l !== undefined).map((l) => `  ${l}`);

  const lines: string[] = [header, status];
  let room = height - lines.length - 1; // the queue line
  const events = Math.max(2, Math.floor(room / 4));
  room -= events;
  const nodeRoom = Math.min(Math.max(2, nodeRows.length + 1), Math.max(2, Math.floor(room / 2)));
  lines.push(...section('NODES', nodeRows, nodeRoom, 'no nodes'));
  lines.push(...section('AGENTS (needs you first)', agentLines, height - lines.length - 1 - events, 'no running agents'));
  lines.push(queue);
  const rest = height - lines.length;
  if (rest > 0) lines.push(...section('EVENTS', eventLines.slice(-Math.max(1, rest - 1)), rest, data.streaming ? 'none yet' : 'event stream not open'));
  return lines.slice(0, height).map((l) => fit(l, width));
}
