import { type AnalyticsReport, type AttemptRecord, type HistoryRecord, type KindStats, type NodeSample, type PhaseRecord, type RunRecord, type UtilisationPoint, phaseKey, taskKey } from '@shoal/protocol';
import { percentileOfSorted, ratio } from './percentile.js';

/** The window and the shape of an {@link aggregateHistory} report. */
export interface AnalyticsWindow {
  /** Start of the window (ms since epoch, inclusive). */
  since: number;
  /** End of the window (ms since epoch, inclusive): the caller's clock, "now". */
  until: number;
  /** How many phases `slowestPhases` lists (default 10). */
  slowestPhases?: number;
  /** Most utilisation points per node (default 120): the bucket grows with the window. */
  maxPointsPerNode?: number;
  /** Smallest utilisation bucket (default 60 s). */
  minBucketMs?: number;
}

const HOUR_MS = 3_600_000;

/**
 * Computes the analytics report of a window from history records (any order; records outside
 * the window are ignored; a record seen twice, e.g. re-published after a leader change, counts
 * once, the last copy winning). Pure: no clock, no I/O.
 *
 * - `tasks.succeeded` / `tasks.failed` count tasks by their last attempt in the window
 *   (cancelled ones in neither); `successRate` is succeeded / (succeeded + failed).
 * - `byKind` counts attempts; p50/p95 are wall times (started → finished) of succeeded attempts
 *   that ran (cache hits did not run).
 * - `agentHours` sums the wall time of every attempt that started.
 */
export function aggregateHistory(records: Iterable<HistoryRecord>, window: AnalyticsWindow): AnalyticsReport {
  const { since, until } = window;
  const inWindow = (t: number) => t >= since && t <= until;
  const attempts = new Map<string, AttemptRecord>();
  const runs = new Map<string, RunRecord>();
  const phases = new Map<string, PhaseRecord>();
  const samples = new Map<string, NodeSample[]>();
  for (const r of records) {
    switch (r.type) {
      case 'attempt':
        if (inWindow(r.finishedAt)) attempts.set(`${r.runId}/${r.taskId}/${r.attempt}`, r);
        break;
      case 'run':
        if (inWindow(r.finishedAt)) runs.set(r.runId, r);
        break;
      case 'phase':
        if (inWindow(r.finishedAt)) phases.set(phaseKey(r.runId, r.phaseId), r);
        break;
      case 'node':
        if (inWindow(r.at)) {
          let list = samples.get(r.nodeId);
          if (!list) samples.set(r.nodeId, (list = []));
          list.push(r);
        }
        break;
    }
  }
  return {
    since,
    until,
    runs: countRuns(runs.values()),
    ...attemptFigures([...attempts.values()]),
    slowestPhases: slowest([...phases.values()], window.slowestPhases ?? 10),
    utilisation: utilisation(samples, window),
  };
}

function countRuns(runs: Iterable<RunRecord>): AnalyticsReport['runs'] {
  const out = { total: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const r of runs) {
    out.total += 1;
    out[r.state] += 1;
  }
  return out;
}

type AttemptFigures = Pick<AnalyticsReport, 'tasks' | 'byKind' | 'cache' | 'agentHours'>;

function attemptFigures(attempts: AttemptRecord[]): AttemptFigures {
  const last = new Map<string, AttemptRecord>();
  const kinds = new Map<string, { stats: KindStats; durations: number[] }>();
  let retried = 0;
  let hits = 0;
  let misses = 0;
  let agentMs = 0;
  for (const a of attempts) {
    const key = taskKey(a.runId, a.taskId);
    const prev = last.get(key);
    if (!prev || prev.attempt < a.attempt) last.set(key, a);
    if (a.attempt > 1) retried += 1;
    if (a.cache === 'hit') hits += 1;
    else if (a.cache === 'miss') misses += 1;
    const ran = a.startedAt !== undefined && a.cache !== 'hit';
    const wall = ran ? Math.max(0, a.finishedAt - a.startedAt!) : 0;
    agentMs += wall;
    let k = kinds.get(a.kind);
    if (!k) kinds.set(a.kind, (k = { stats: { kind: a.kind, attempts: 0, succeeded: 0, failed: 0, retried: 0 }, durations: [] }));
    k.stats.attempts += 1;
    if (a.attempt > 1) k.stats.retried += 1;
    if (a.outcome === 'succeeded') {
      k.stats.succeeded += 1;
      if (ran) k.durations.push(wall);
    } else if (a.outcome !== 'cancelled') k.stats.failed += 1;
  }
  let succeeded = 0;
  let failed = 0;
  for (const a of last.values()) {
    if (a.outcome === 'succeeded') succeeded += 1;
    else if (a.outcome !== 'cancelled') failed += 1;
  }
  const byKind = [...kinds.values()]
    .map(({ stats, durations }) => {
      durations.sort((x, y) => x - y);
      const p50 = percentileOfSorted(durations, 50);
      const p95 = percentileOfSorted(durations, 95);
      return { ...stats, ...(p50 !== undefined ? { p50Ms: p50 } : {}), ...(p95 !== undefined ? { p95Ms: p95 } : {}) };
    })
    .sort((x, y) => y.attempts - x.attempts || x.kind.localeCompare(y.kind));
  const successRate = ratio(succeeded, succeeded + failed);
  const retryRate = ratio(retried, attempts.length);
  const hitRate = ratio(hits, hits + misses);
  return {
    tasks: {
      attempts: attempts.length,
      succeeded,
      failed,
      ...(successRate !== undefined ? { successRate } : {}),
      ...(retryRate !== undefined ? { retryRate } : {}),
    },
    byKind,
    cache: { hits, misses, ...(hitRate !== undefined ? { hitRate } : {}) },
    agentHours: agentMs / HOUR_MS,
  };
}

function slowest(phases: PhaseRecord[], n: number): AnalyticsReport['slowestPhases'] {
  return phases
    .map((p) => ({ runId: p.runId, plan: p.plan, phaseId: p.phaseId, durationMs: Math.max(0, p.finishedAt - p.startedAt) }))
    .sort((a, b) => b.durationMs - a.durationMs || a.runId.localeCompare(b.runId) || a.phaseId.localeCompare(b.phaseId))
    .slice(0, Math.max(0, n));
}

/** The utilisation bucket of a window: at least `minBucketMs`, wide enough for `maxPointsPerNode` points. */
export function utilisationBucketMs(window: AnalyticsWindow): number {
  const min = window.minBucketMs ?? 60_000;
  const points = window.maxPointsPerNode ?? 120;
  const span = Math.max(0, window.until - window.since) + 1;
  return Math.max(min, Math.ceil(span / points / 1000) * 1000);
}

function utilisation(samples: Map<string, NodeSample[]>, window: AnalyticsWindow): AnalyticsReport['utilisation'] {
  const bucketMs = utilisationBucketMs(window);
  return [...samples.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([nodeId, list]) => {
      const buckets = new Map<number, { cpu: number; mem: number; running: number; n: number }>();
      for (const s of list) {
        const at = window.since + Math.floor((s.at - window.since) / bucketMs) * bucketMs;
        const b = buckets.get(at) ?? { cpu: 0, mem: 0, running: 0, n: 0 };
        b.cpu += s.cpuPercent;
        b.mem += s.memUsedMb;
        b.running = Math.max(b.running, s.running);
        b.n += 1;
        buckets.set(at, b);
      }
      const points: UtilisationPoint[] = [...buckets.entries()]
        .sort(([a], [b]) => a - b)
        .map(([at, b]) => ({ at, cpuPercent: Math.min(100, b.cpu / b.n), memUsedMb: b.mem / b.n, running: b.running }));
      return { nodeId, points };
    });
}
