import type { AttemptRecord } from '@shoal/protocol';
import { aggregateHistory } from './aggregate.js';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;
const window = { since: T0, until: T0 + HOUR };

function attempt(over: Partial<AttemptRecord> & { taskId: string }): AttemptRecord {
  return { type: 'attempt', runId: 'r1', plan: 'p', phaseId: 'build', kind: 'web/dev/npm', attempt: 1, nodeId: 'n1', queuedAt: T0, startedAt: T0, finishedAt: T0 + 60_000, outcome: 'succeeded', exitCode: 0, ...over };
}

describe('aggregateHistory: figures it cannot compute are left out, not set to undefined', () => {
  it('has no rate keys when nothing was attempted', () => {
    const r = aggregateHistory([], window);
    expect(r.tasks).toStrictEqual({ attempts: 0, succeeded: 0, failed: 0 });
    expect(r.cache).toStrictEqual({ hits: 0, misses: 0 });
  });

  it('has no success or hit rate when every task was cancelled and none used the cache, but a retry rate', () => {
    const r = aggregateHistory([attempt({ taskId: 'a', outcome: 'cancelled' })], window);
    expect(r.tasks).toStrictEqual({ attempts: 1, succeeded: 0, failed: 0, retryRate: 0 });
    expect(r.cache).toStrictEqual({ hits: 0, misses: 0 });
  });

  it('gives a kind no p50 or p95 key when none of its attempts succeeded', () => {
    const r = aggregateHistory([attempt({ taskId: 'a', outcome: 'failed', exitCode: 1 })], window);
    expect(r.byKind).toStrictEqual([{ kind: 'web/dev/npm', attempts: 1, succeeded: 0, failed: 1, retried: 0 }]);
  });
});

describe('aggregateHistory: an attempt that never started', () => {
  it('adds no agent time (the node was lost before the start was reported)', () => {
    const r = aggregateHistory(
      [attempt({ taskId: 'a', startedAt: undefined, outcome: 'lost', cache: 'miss' }), attempt({ taskId: 'a', attempt: 2, startedAt: T0, finishedAt: T0 + HOUR / 2 })],
      window,
    );
    expect(r.agentHours).toBe(0.5);
    expect(r.byKind).toStrictEqual([{ kind: 'web/dev/npm', attempts: 2, succeeded: 1, failed: 1, retried: 1, p50Ms: HOUR / 2, p95Ms: HOUR / 2 }]);
  });
});
