import type { AttemptRecord, HistoryRecord, PhaseRecord } from '@shoal/protocol';
import { aggregateHistory, utilisationBucketMs } from './aggregate.js';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;
const window = { since: T0, until: T0 + HOUR };

function attempt(over: Partial<AttemptRecord> & { taskId: string }): AttemptRecord {
  return { type: 'attempt', runId: 'r1', plan: 'p', phaseId: 'build', kind: 'web/dev/npm', attempt: 1, nodeId: 'n1', queuedAt: T0, startedAt: T0, finishedAt: T0 + 60_000, outcome: 'succeeded', exitCode: 0, ...over };
}

function phase(over: Partial<PhaseRecord> & { phaseId: string }): PhaseRecord {
  return { type: 'phase', runId: 'r1', plan: 'p', state: 'succeeded', startedAt: T0, finishedAt: T0 + 60_000, ...over };
}

const node = (nodeId: string, at: number, cpuPercent: number) => ({ type: 'node' as const, nodeId, at, cpuPercent, memUsedMb: 100, memTotalMb: 4096, running: 1 });

describe('aggregateHistory: the window is inclusive at both ends', () => {
  it('counts records finished exactly at since and at until, and none a millisecond outside', () => {
    const records: HistoryRecord[] = [
      attempt({ taskId: 'at-since', startedAt: T0 - 10, finishedAt: T0 }),
      attempt({ taskId: 'at-until', finishedAt: T0 + HOUR }),
      attempt({ taskId: 'after', finishedAt: T0 + HOUR + 1 }),
      { type: 'run', runId: 'r1', plan: 'p', state: 'succeeded', submittedAt: T0, finishedAt: T0 + HOUR + 1, tasks: 1 },
      { type: 'run', runId: 'r2', plan: 'p', state: 'cancelled', submittedAt: T0, finishedAt: T0 + HOUR, tasks: 1 },
      phase({ phaseId: 'late', finishedAt: T0 + HOUR + 1 }),
      phase({ phaseId: 'early', startedAt: T0 - 100, finishedAt: T0 - 1 }),
      phase({ phaseId: 'edge', finishedAt: T0 + HOUR }),
      node('n1', T0 - 1, 10),
      node('n1', T0 + HOUR + 1, 10),
      node('n2', T0 + HOUR, 30),
    ];
    const r = aggregateHistory(records, window);
    expect(r.tasks.attempts).toBe(2);
    expect(r.runs).toEqual({ total: 1, succeeded: 0, failed: 0, cancelled: 1 });
    expect(r.slowestPhases.map((p) => p.phaseId)).toEqual(['edge']);
    expect(r.utilisation.map((u) => u.nodeId)).toEqual(['n2']);
  });
});

describe('aggregateHistory: attempts', () => {
  it('judges a task by its highest attempt, whatever the order the records come in', () => {
    const r = aggregateHistory([attempt({ taskId: 'a', attempt: 2, outcome: 'failed' }), attempt({ taskId: 'a', attempt: 1 }), attempt({ taskId: 'b', attempt: 1, outcome: 'failed' }), attempt({ taskId: 'b', attempt: 3 })], window);
    expect(r.tasks).toMatchObject({ succeeded: 1, failed: 1, successRate: 0.5 });
  });

  it('counts a cancelled attempt or task as neither succeeded nor failed', () => {
    const r = aggregateHistory([attempt({ taskId: 'a', outcome: 'cancelled' }), attempt({ taskId: 'b', outcome: 'lost' })], window);
    expect(r.tasks).toEqual({ attempts: 2, succeeded: 0, failed: 1, successRate: 0, retryRate: 0 });
    expect(r.byKind).toEqual([{ kind: 'web/dev/npm', attempts: 2, succeeded: 0, failed: 1, retried: 0 }]);
  });

  it('gives a cache hit no wall time even when it carries a start, and a clock that ran backwards none either', () => {
    const r = aggregateHistory([attempt({ taskId: 'hit', cache: 'hit', startedAt: T0, finishedAt: T0 + 30_000 }), attempt({ taskId: 'skew', startedAt: T0 + 5_000, finishedAt: T0 + 1_000 })], window);
    expect(r.agentHours).toBe(0);
    expect(r.byKind[0]).toMatchObject({ p50Ms: 0, p95Ms: 0 });
    expect(r.cache).toEqual({ hits: 1, misses: 0, hitRate: 1 });
  });

  it('lists kinds by attempts, most first, then by name', () => {
    const r = aggregateHistory(
      [attempt({ taskId: 'a', kind: 'z/one' }), attempt({ taskId: 'b', kind: 'b/two' }), attempt({ taskId: 'c', kind: 'b/two' }), attempt({ taskId: 'd', kind: 'a/one' })],
      window,
    );
    expect(r.byKind.map((k) => k.kind)).toEqual(['b/two', 'a/one', 'z/one']);
  });

  it('reads agent-hours as wall time over an hour', () => {
    expect(aggregateHistory([attempt({ taskId: 'a', startedAt: T0, finishedAt: T0 + 90 * 60_000 })], { since: T0, until: T0 + 2 * HOUR }).agentHours).toBe(1.5);
  });
});

describe('aggregateHistory: slowest phases', () => {
  const many = Array.from({ length: 12 }, (_, i) => phase({ phaseId: `p${String(i).padStart(2, '0')}`, finishedAt: T0 + 1_000 * (i + 1) }));

  it('lists ten by default, longest first', () => {
    const r = aggregateHistory(many, window);
    expect(r.slowestPhases).toHaveLength(10);
    expect(r.slowestPhases[0]).toEqual({ runId: 'r1', plan: 'p', phaseId: 'p11', durationMs: 12_000 });
  });

  it('lists as many as asked, none for zero or less', () => {
    expect(aggregateHistory(many, { ...window, slowestPhases: 3 }).slowestPhases.map((p) => p.phaseId)).toEqual(['p11', 'p10', 'p09']);
    expect(aggregateHistory(many, { ...window, slowestPhases: 0 }).slowestPhases).toEqual([]);
    expect(aggregateHistory(many, { ...window, slowestPhases: -2 }).slowestPhases).toEqual([]);
  });

  it('orders equally long phases by run, then phase id; a phase that ended before it started lasts 0', () => {
    const r = aggregateHistory([phase({ runId: 'r2', phaseId: 'a' }), phase({ runId: 'r1', phaseId: 'b' }), phase({ runId: 'r1', phaseId: 'a' }), phase({ runId: 'r0', phaseId: 'x', startedAt: T0 + 5_000, finishedAt: T0 + 1_000 })], window);
    expect(r.slowestPhases.map((p) => `${p.runId}/${p.phaseId}:${p.durationMs}`)).toEqual(['r1/a:60000', 'r1/b:60000', 'r2/a:60000', 'r0/x:0']);
  });
});

describe('aggregateHistory: utilisation', () => {
  it('lists nodes by id and caps the mean CPU at 100%', () => {
    const r = aggregateHistory([node('n2', T0, 10), node('n1', T0, 150), node('n1', T0 + 1_000, 130)], { ...window, minBucketMs: 60_000 });
    expect(r.utilisation.map((u) => u.nodeId)).toEqual(['n1', 'n2']);
    expect(r.utilisation[0]!.points).toEqual([{ at: T0, cpuPercent: 100, memUsedMb: 100, running: 1 }]);
  });

  it('counts the window inclusively when sizing the bucket: one millisecond more than 120 buckets rounds up a second', () => {
    expect(utilisationBucketMs({ since: 0, until: 120 * 120_000 - 1 })).toBe(120_000);
    expect(utilisationBucketMs({ since: 0, until: 120 * 120_000 })).toBe(121_000);
    expect(utilisationBucketMs({ since: 0, until: 10 * 60_000, maxPointsPerNode: 5 })).toBe(121_000);
    expect(utilisationBucketMs({ since: 5, until: 0 })).toBe(60_000);
    expect(utilisationBucketMs({ since: 0, until: 1_000, minBucketMs: 1_000 })).toBe(1_000);
  });
});
