import fc from 'fast-check';
import { AnalyticsReport, type AttemptRecord, type HistoryRecord } from '@shoal/protocol';
import { aggregateHistory, utilisationBucketMs } from './aggregate.js';
import { percentileOfSorted } from './percentile.js';

const T0 = 1_800_000_000_000;
const MIN = 60_000;

function attempt(over: Partial<AttemptRecord> & { taskId: string }): AttemptRecord {
  return { type: 'attempt', runId: 'r1', plan: 'p', phaseId: 'build', kind: 'web/dev/npm', attempt: 1, nodeId: 'n1', queuedAt: T0, startedAt: T0, finishedAt: T0 + MIN, outcome: 'succeeded', exitCode: 0, ...over };
}

describe('percentileOfSorted (nearest rank)', () => {
  it('picks the smallest value with at least p% at or below it', () => {
    expect(percentileOfSorted([], 50)).toBeUndefined();
    expect(percentileOfSorted([7], 95)).toBe(7);
    expect(percentileOfSorted([1, 2, 3, 4], 50)).toBe(2);
    expect(percentileOfSorted([1, 2, 3, 4], 95)).toBe(4);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileOfSorted(hundred, 50)).toBe(50);
    expect(percentileOfSorted(hundred, 95)).toBe(95);
  });
});

describe('aggregateHistory', () => {
  const window = { since: T0 - 3600_000, until: T0 + 3600_000 };

  it('reports runs, tasks, kinds, cache, phases and agent-hours of a window', () => {
    const records: HistoryRecord[] = [
      attempt({ taskId: 'a', startedAt: T0, finishedAt: T0 + 10_000 }),
      attempt({ taskId: 'b', startedAt: T0, finishedAt: T0 + 20_000 }),
      attempt({ taskId: 'c', startedAt: T0, finishedAt: T0 + 30_000, outcome: 'failed', exitCode: 1 }),
      attempt({ taskId: 'c', attempt: 2, startedAt: T0 + 40_000, finishedAt: T0 + 70_000 }),
      attempt({ taskId: 'd', kind: 'web/qa/pytest', startedAt: undefined, finishedAt: T0 + 1000, cache: 'hit' }),
      attempt({ taskId: 'e', kind: 'web/qa/pytest', startedAt: T0, finishedAt: T0 + 3600_000, cache: 'miss' }),
      { type: 'run', runId: 'r1', plan: 'p', state: 'succeeded', submittedAt: T0, finishedAt: T0 + 100_000, tasks: 5 },
      { type: 'run', runId: 'r2', plan: 'p', state: 'failed', submittedAt: T0, finishedAt: T0 + 100_000, tasks: 1 },
      { type: 'phase', runId: 'r1', plan: 'p', phaseId: 'build', state: 'succeeded', startedAt: T0, finishedAt: T0 + 70_000 },
      { type: 'phase', runId: 'r1', plan: 'p', phaseId: 'test', state: 'succeeded', startedAt: T0, finishedAt: T0 + 90_000 },
    ];
    const r = aggregateHistory(records, window);
    expect(AnalyticsReport.safeParse(r).success).toBe(true);
    expect(r.runs).toEqual({ total: 2, succeeded: 1, failed: 1, cancelled: 0 });
    expect(r.tasks).toEqual({ attempts: 6, succeeded: 5, failed: 0, successRate: 1, retryRate: 1 / 6 });
    const dev = r.byKind.find((k) => k.kind === 'web/dev/npm')!;
    expect(dev).toEqual({ kind: 'web/dev/npm', attempts: 4, succeeded: 3, failed: 1, retried: 1, p50Ms: 20_000, p95Ms: 30_000 });
    const qa = r.byKind.find((k) => k.kind === 'web/qa/pytest')!;
    expect(qa.p50Ms).toBe(3600_000); // the cache hit did not run: not a duration
    expect(r.cache).toEqual({ hits: 1, misses: 1, hitRate: 0.5 });
    expect(r.slowestPhases.map((p) => p.phaseId)).toEqual(['test', 'build']);
    expect(r.agentHours).toBeCloseTo((10 + 20 + 30 + 30 + 3600) / 3600, 9);
  });

  it('ignores records outside the window and counts a duplicate once', () => {
    const a = attempt({ taskId: 'a' });
    const old = attempt({ taskId: 'old', finishedAt: window.since - 1, startedAt: window.since - 10 });
    const r = aggregateHistory([a, a, old], window);
    expect(r.tasks.attempts).toBe(1);
    expect(r.byKind).toHaveLength(1);
  });

  it('leaves rates out when there is nothing to divide by', () => {
    const r = aggregateHistory([], window);
    expect(r.tasks).toEqual({ attempts: 0, succeeded: 0, failed: 0 });
    expect(r.cache).toEqual({ hits: 0, misses: 0 });
    expect(r.agentHours).toBe(0);
    expect(AnalyticsReport.safeParse(r).success).toBe(true);
  });

  it('buckets node samples: mean CPU and memory, the most running, oldest first', () => {
    const w = { since: T0, until: T0 + 10 * MIN, minBucketMs: MIN };
    const s = (at: number, cpu: number, running: number) => ({ type: 'node' as const, nodeId: 'n1', at, cpuPercent: cpu, memUsedMb: cpu * 10, memTotalMb: 4096, running });
    const r = aggregateHistory([s(T0 + MIN + 30_000, 40, 1), s(T0 + 5000, 20, 3), s(T0 + MIN + 1000, 60, 2)], w);
    expect(r.utilisation).toEqual([
      {
        nodeId: 'n1',
        points: [
          { at: T0, cpuPercent: 20, memUsedMb: 200, running: 3 },
          { at: T0 + MIN, cpuPercent: 50, memUsedMb: 500, running: 2 },
        ],
      },
    ]);
  });

  it('widens the utilisation bucket with the window', () => {
    expect(utilisationBucketMs({ since: 0, until: 3600_000 })).toBe(MIN);
    expect(utilisationBucketMs({ since: 0, until: 7 * 86_400_000 - 1 })).toBe(5040_000);
  });
});

/** fast-check seed: fixed so a failure reproduces; printed in the describe name (FC_SEED overrides it). */
const SEED = Number(process.env.FC_SEED ?? 20261129);

describe(`aggregateHistory properties (fast-check seed ${SEED})`, () => {
  const params = { seed: SEED, numRuns: 200 };

  const attemptArb = fc
    .record({
      run: fc.constantFrom('r1', 'r2', 'r3'),
      task: fc.constantFrom('a', 'b', 'c', 'd'),
      kind: fc.constantFrom('t/dev/npm', 't/qa/pytest', 't/ops/sh'),
      attempt: fc.integer({ min: 1, max: 4 }),
      start: fc.integer({ min: 0, max: 7200_000 }),
      wall: fc.integer({ min: 0, max: 3600_000 }),
      outcome: fc.constantFrom('succeeded', 'failed', 'timed-out', 'cancelled', 'lost', 'rejected'),
      cache: fc.constantFrom(undefined, 'hit', 'miss'),
    })
    .map((a): AttemptRecord => attempt({
      runId: a.run,
      taskId: a.task,
      kind: a.kind,
      attempt: a.attempt,
      startedAt: a.cache === 'hit' ? undefined : T0 + a.start,
      finishedAt: T0 + a.start + a.wall,
      outcome: a.cache === 'hit' ? 'succeeded' : (a.outcome as AttemptRecord['outcome']),
      ...(a.cache ? { cache: a.cache as 'hit' | 'miss' } : {}),
    }));
  const window = { since: T0, until: T0 + 3 * 3600_000 };
  // one record per attempt (as the recorder writes them); copies are added by the properties
  const recordsArb = fc.uniqueArray(attemptArb, { maxLength: 60, selector: (a) => `${a.runId}/${a.taskId}/${a.attempt}` });

  it('is a valid report whose counts add up, whatever the order of the records and copies of them', () => {
    fc.assert(
      fc.property(recordsArb, fc.array(fc.nat()), (records, copies) => {
        const r = aggregateHistory(records, window);
        expect(AnalyticsReport.safeParse(r).success).toBe(true);
        const distinct = new Set(records.map((a) => `${a.runId}/${a.taskId}/${a.attempt}`)).size;
        expect(r.tasks.attempts).toBe(distinct);
        expect(r.byKind.reduce((s, k) => s + k.attempts, 0)).toBe(distinct);
        for (const k of r.byKind) {
          expect(k.succeeded + k.failed).toBeLessThanOrEqual(k.attempts);
          if (k.p50Ms !== undefined) expect(k.p50Ms).toBeLessThanOrEqual(k.p95Ms!);
        }
        expect(r.tasks.succeeded + r.tasks.failed).toBeLessThanOrEqual(new Set(records.map((a) => `${a.runId}/${a.taskId}`)).size);
        const again = [...records].reverse();
        for (const c of copies) if (records.length > 0) again.splice(c % (again.length + 1), 0, records[c % records.length]!);
        expect(aggregateHistory(again, window)).toEqual(r);
      }),
      params,
    );
  });

  it('p50 and p95 are wall times of succeeded attempts that ran, between their least and greatest', () => {
    fc.assert(
      fc.property(recordsArb, (records) => {
        const r = aggregateHistory(records, window);
        for (const k of r.byKind) {
          const unique = new Map(records.filter((a) => a.kind === k.kind).map((a) => [`${a.runId}/${a.taskId}/${a.attempt}`, a]));
          const walls = [...unique.values()].filter((a) => a.outcome === 'succeeded' && a.startedAt !== undefined && a.cache !== 'hit').map((a) => a.finishedAt - a.startedAt!);
          if (walls.length === 0) expect(k.p50Ms).toBeUndefined();
          else {
            expect(walls).toContain(k.p50Ms);
            expect(k.p95Ms).toBeGreaterThanOrEqual(Math.min(...walls));
            expect(k.p95Ms).toBeLessThanOrEqual(Math.max(...walls));
          }
        }
      }),
      params,
    );
  });
});
