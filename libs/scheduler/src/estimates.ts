import { type KindEstimate, ValidationError } from '@shoal/protocol';

export type { KindEstimate } from '@shoal/protocol';

/** Options of the {@link RuntimeEstimator}. */
export interface EstimatorOptions {
  /** Weight of the newest sample. Default 0.3. */
  alpha?: number;
  /** Estimate for a kind never seen. Default 60 s. */
  defaultMs?: number;
}

/** The kind a task's duration is learned under: team, role and program name. */
export function taskKind(t: { team: string; role: string; command: string[] }): string {
  const program = (t.command[0] ?? '').split('/').pop() ?? '';
  return `${t.team}/${t.role}/${program}`;
}

/** Exponentially weighted moving average of durations per task kind ("learn from patterns"). */
export class RuntimeEstimator {
  private readonly kinds = new Map<string, KindEstimate>();
  private readonly alpha: number;
  private readonly defaultMs: number;

  constructor(opts: EstimatorOptions = {}, saved?: Record<string, KindEstimate>) {
    this.alpha = opts.alpha ?? 0.3;
    this.defaultMs = opts.defaultMs ?? 60_000;
    for (const [k, v] of Object.entries(saved ?? {})) this.kinds.set(k, { ...v });
  }

  /** Learns one finished attempt's duration. */
  observe(kind: string, durationMs: number): KindEstimate {
    if (!(durationMs >= 0) || !Number.isFinite(durationMs)) {
      throw new ValidationError([{ path: kind, message: 'duration must be a finite number of milliseconds >= 0' }]);
    }
    const prev = this.kinds.get(kind);
    const next = prev
      ? { ewmaMs: prev.ewmaMs + this.alpha * (durationMs - prev.ewmaMs), samples: prev.samples + 1 }
      : { ewmaMs: durationMs, samples: 1 };
    this.kinds.set(kind, next);
    return { ...next };
  }

  /** Expected duration of a kind (the default when never seen). */
  estimate(kind: string): number {
    return this.kinds.get(kind)?.ewmaMs ?? this.defaultMs;
  }

  /** Whether the kind has been observed at all. */
  known(kind: string): boolean {
    return this.kinds.has(kind);
  }

  /** Everything learned, to persist and pass back to the constructor. */
  toJSON(): Record<string, KindEstimate> {
    return Object.fromEntries([...this.kinds].map(([k, v]) => [k, { ...v }]));
  }
}

/** A node of a DAG of work with its expected duration. */
export interface WorkItem {
  id: string;
  durationMs: number;
  dependsOn: string[];
}

/** The critical path of a DAG and every item's rank (longest expected time from its start to the end). */
export interface CriticalPath {
  makespanMs: number;
  path: string[];
  rankMs: Map<string, number>;
}

/** Computes ranks and the critical path. Throws a ValidationError on unknown ids or cycles. */
export function criticalPath(items: WorkItem[]): CriticalPath {
  const order = topoOrder(items);
  const byId = new Map(items.map((i) => [i.id, i]));
  const dependents = new Map<string, string[]>(items.map((i) => [i.id, []]));
  for (const i of items) for (const d of i.dependsOn) dependents.get(d)!.push(i.id);
  const rankMs = new Map<string, number>();
  const nextOnPath = new Map<string, string | undefined>();
  for (let k = order.length - 1; k >= 0; k--) {
    const id = order[k]!;
    let best: string | undefined;
    for (const d of dependents.get(id)!) if (best === undefined || rankMs.get(d)! > rankMs.get(best)!) best = d;
    rankMs.set(id, byId.get(id)!.durationMs + (best === undefined ? 0 : rankMs.get(best)!));
    nextOnPath.set(id, best);
  }
  let start: string | undefined;
  for (const i of items) if (i.dependsOn.length === 0 && (start === undefined || rankMs.get(i.id)! > rankMs.get(start)!)) start = i.id;
  const path: string[] = [];
  for (let cur = start; cur !== undefined; cur = nextOnPath.get(cur)) path.push(cur);
  return { makespanMs: start === undefined ? 0 : rankMs.get(start)!, path, rankMs };
}

/** Orders ready items longest-expected-first on the critical path (highest rank first, then id). */
export function longestFirst(ready: string[], rankMs: Map<string, number>): string[] {
  return [...ready].sort((a, b) => (rankMs.get(b) ?? 0) - (rankMs.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Predicts the makespan of a DAG on `slots` parallel workers by list scheduling (highest rank
 * first). With unlimited slots (`Infinity`) it equals the critical path length; fewer than one
 * slot (`NaN` and `-Infinity` included) is a ValidationError.
 */
export function predictMakespan(items: WorkItem[], slots = Infinity): number {
  const { rankMs, makespanMs } = criticalPath(items);
  if (slots === Infinity) return makespanMs;
  if (!(slots >= 1)) throw new ValidationError([{ path: 'slots', message: 'must be at least 1' }]);
  const waitingOn = new Map(items.map((i) => [i.id, i.dependsOn.length]));
  const dependents = new Map<string, string[]>(items.map((i) => [i.id, []]));
  for (const i of items) for (const d of i.dependsOn) dependents.get(d)!.push(i.id);
  const byId = new Map(items.map((i) => [i.id, i]));
  let ready = items.filter((i) => i.dependsOn.length === 0).map((i) => i.id);
  const running: { id: string; endsAt: number }[] = [];
  let now = 0;
  while (ready.length || running.length) {
    ready = longestFirst(ready, rankMs);
    while (running.length < slots && ready.length) {
      const id = ready.shift()!;
      running.push({ id, endsAt: now + byId.get(id)!.durationMs });
    }
    running.sort((a, b) => a.endsAt - b.endsAt);
    const done = running.shift()!;
    now = done.endsAt;
    for (const d of dependents.get(done.id)!) {
      const left = waitingOn.get(d)! - 1;
      waitingOn.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  return now;
}

function topoOrder(items: WorkItem[]): string[] {
  const ids = new Set(items.map((i) => i.id));
  const issues = items.flatMap((i) =>
    i.dependsOn.filter((d) => !ids.has(d)).map((d) => ({ path: `${i.id}.dependsOn`, message: `unknown item ${d}` })),
  );
  if (issues.length) throw new ValidationError(issues);
  const indeg = new Map(items.map((i) => [i.id, i.dependsOn.length]));
  const dependents = new Map<string, string[]>(items.map((i) => [i.id, []]));
  for (const i of items) for (const d of i.dependsOn) dependents.get(d)!.push(i.id);
  const queue = items.filter((i) => i.dependsOn.length === 0).map((i) => i.id);
  const order: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    order.push(id);
    for (const d of dependents.get(id)!) {
      indeg.set(d, indeg.get(d)! - 1);
      if (indeg.get(d) === 0) queue.push(d);
    }
  }
  if (order.length !== items.length) {
    const stuck = items.filter((i) => !order.includes(i.id)).map((i) => i.id);
    throw new ValidationError([{ path: 'dependsOn', message: `cycle among ${stuck.join(', ')}` }]);
  }
  return order;
}
