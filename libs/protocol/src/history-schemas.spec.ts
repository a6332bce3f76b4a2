import { jest } from '@jest/globals';
import {
  AttemptRecord,
  DEFAULT_HISTORY_RETENTION_MS,
  HistoryRecord,
  NodeSample,
  PhaseRecord,
  RunRecord,
  decodeHistoryRecord,
  decodeHistoryRecords,
  parseWindow,
} from './history.js';
import { refusal } from './schema-issues.spec-support.js';

// Every value is built inside the test that checks it: Stryker judges history.ts per test.

/** Largest stored record read back (history.ts MAX_RECORD_BYTES). */
const MAX_RECORD_BYTES = 16 * 1024;
const STATES = 'Invalid option: expected one of "succeeded"|"failed"|"cancelled"';

function attempt(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'attempt',
    runId: 'run-1',
    plan: 'ship',
    phaseId: 'build',
    taskId: 'compile',
    kind: 'web/dev/claude',
    attempt: 2,
    nodeId: 'node-a',
    queuedAt: 1_000,
    startedAt: 2_000,
    finishedAt: 3_000,
    outcome: 'succeeded',
    exitCode: 0,
    cache: 'miss',
    ...over,
  };
}

function run(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'run', runId: 'run-1', plan: 'ship', state: 'succeeded', submittedAt: 1_000, startedAt: 2_000, finishedAt: 5_000, tasks: 3, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', ...over };
}

function phase(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'phase', runId: 'run-1', plan: 'ship', phaseId: 'build', state: 'failed', startedAt: 2_000, finishedAt: 4_000, ...over };
}

function node(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'node', nodeId: 'node-a', at: 7_000, cpuPercent: 37.5, memUsedMb: 2048.5, memTotalMb: 8192, running: 2, ...over };
}

/** A valid record padded with JSON whitespace to exactly `length` characters. */
function padded(value: Record<string, unknown>, length: number): string {
  const text = JSON.stringify(value);
  return text + ' '.repeat(length - text.length);
}

describe('history records: each type decodes to exactly itself', () => {
  it('an attempt record, with every field', () => {
    expect(decodeHistoryRecord(JSON.stringify(attempt()))).toEqual({
      type: 'attempt',
      runId: 'run-1',
      plan: 'ship',
      phaseId: 'build',
      taskId: 'compile',
      kind: 'web/dev/claude',
      attempt: 2,
      nodeId: 'node-a',
      queuedAt: 1_000,
      startedAt: 2_000,
      finishedAt: 3_000,
      outcome: 'succeeded',
      exitCode: 0,
      cache: 'miss',
    });
  });

  it('a run record, with every field', () => {
    expect(decodeHistoryRecord(JSON.stringify(run()))).toEqual({
      type: 'run',
      runId: 'run-1',
      plan: 'ship',
      state: 'succeeded',
      submittedAt: 1_000,
      startedAt: 2_000,
      finishedAt: 5_000,
      tasks: 3,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
  });

  it('a phase record', () => {
    expect(decodeHistoryRecord(JSON.stringify(phase()))).toEqual({ type: 'phase', runId: 'run-1', plan: 'ship', phaseId: 'build', state: 'failed', startedAt: 2_000, finishedAt: 4_000 });
  });

  it('a node sample', () => {
    expect(decodeHistoryRecord(JSON.stringify(node()))).toEqual({ type: 'node', nodeId: 'node-a', at: 7_000, cpuPercent: 37.5, memUsedMb: 2048.5, memTotalMb: 8192, running: 2 });
  });

  it('the union picks the schema by type, and refuses an unknown type or an empty one', () => {
    expect(HistoryRecord.parse(attempt()).type).toBe('attempt');
    expect(HistoryRecord.parse(run()).type).toBe('run');
    expect(HistoryRecord.parse(phase()).type).toBe('phase');
    expect(decodeHistoryRecord(JSON.stringify(attempt({ type: '' })))).toBeUndefined();
    expect(decodeHistoryRecord(JSON.stringify(run({ type: 'runs' })))).toBeUndefined();
  });

  it('each refuses an unknown key', () => {
    expect(refusal(AttemptRecord, attempt({ extra: 1 }))).toEqual([': Unrecognized key: "extra"']);
    expect(refusal(RunRecord, run({ extra: 1 }))).toEqual([': Unrecognized key: "extra"']);
    expect(refusal(PhaseRecord, phase({ extra: 1 }))).toEqual([': Unrecognized key: "extra"']);
    expect(refusal(NodeSample, node({ extra: 1 }))).toEqual([': Unrecognized key: "extra"']);
  });
});

describe('AttemptRecord bounds', () => {
  it('kind: empty, short and 600 characters accepted, 601 refused', () => {
    expect(refusal(AttemptRecord, attempt({ kind: '' }))).toEqual([]);
    expect(refusal(AttemptRecord, attempt({ kind: 'a/b/c' }))).toEqual([]);
    expect(refusal(AttemptRecord, attempt({ kind: 'k'.repeat(600) }))).toEqual([]);
    expect(refusal(AttemptRecord, attempt({ kind: 'k'.repeat(601) }))).toEqual(['kind: Too big: expected string to have <=600 characters']);
  });

  it('attempt: 1, 2 and 1000 accepted, 0 and 1001 refused', () => {
    expect(refusal(AttemptRecord, attempt({ attempt: 1 }))).toEqual([]);
    expect(refusal(AttemptRecord, attempt({ attempt: 2 }))).toEqual([]);
    expect(refusal(AttemptRecord, attempt({ attempt: 1000 }))).toEqual([]);
    expect(refusal(AttemptRecord, attempt({ attempt: 0 }))).toEqual(['attempt: Too small: expected number to be >=1']);
    expect(refusal(AttemptRecord, attempt({ attempt: 1001 }))).toEqual(['attempt: Too big: expected number to be <=1000']);
  });

  it('cache: hit and miss each decode, absent stays absent, anything else refused', () => {
    expect(decodeHistoryRecord(JSON.stringify(attempt({ cache: 'hit', startedAt: undefined })))).toEqual(attempt({ cache: 'hit', startedAt: undefined }));
    expect(decodeHistoryRecord(JSON.stringify(attempt({ cache: 'miss' })))?.type).toBe('attempt');
    expect(AttemptRecord.parse(attempt({ cache: 'hit' })).cache).toBe('hit');
    expect(AttemptRecord.parse(attempt({ cache: 'miss' })).cache).toBe('miss');
    const { cache: _cache, ...uncached } = attempt();
    expect('cache' in AttemptRecord.parse(uncached)).toBe(false);
    expect(refusal(AttemptRecord, attempt({ cache: 'HIT' }))).toEqual(['cache: Invalid option: expected one of "hit"|"miss"']);
    expect(refusal(AttemptRecord, attempt({ cache: '' }))).toEqual(['cache: Invalid option: expected one of "hit"|"miss"']);
  });

  it('names: 1 and 200 characters accepted, empty and 201 refused', () => {
    expect(refusal(AttemptRecord, attempt({ taskId: 't' }))).toEqual([]);
    expect(refusal(AttemptRecord, attempt({ taskId: 't'.repeat(200) }))).toEqual([]);
    expect(refusal(AttemptRecord, attempt({ taskId: '' }))).toEqual(['taskId: Too small: expected string to have >=1 characters']);
    expect(refusal(AttemptRecord, attempt({ taskId: 't'.repeat(201) }))).toEqual(['taskId: Too big: expected string to have <=200 characters']);
  });

  it('exitCode may be null; times are whole and not negative', () => {
    expect(AttemptRecord.parse(attempt({ exitCode: null })).exitCode).toBeNull();
    expect(refusal(AttemptRecord, attempt({ finishedAt: 0 }))).toEqual([]);
    expect(refusal(AttemptRecord, attempt({ finishedAt: -1 }))).toEqual(['finishedAt: Too small: expected number to be >=0']);
    expect(refusal(AttemptRecord, attempt({ finishedAt: 1.5 }))).toEqual(['finishedAt: Invalid input: expected int, received number']);
  });
});

describe('RunRecord and PhaseRecord', () => {
  it('a run is decoded in each terminal state, and refused in any other', () => {
    for (const state of ['succeeded', 'failed', 'cancelled']) expect(decodeHistoryRecord(JSON.stringify(run({ state })))).toEqual(run({ state }));
    expect(refusal(RunRecord, run({ state: 'running' }))).toEqual([`state: ${STATES}`]);
    expect(refusal(RunRecord, run({ state: '' }))).toEqual([`state: ${STATES}`]);
  });

  it('a phase is decoded in each terminal state, and refused in any other', () => {
    for (const state of ['succeeded', 'failed', 'cancelled']) expect(decodeHistoryRecord(JSON.stringify(phase({ state })))).toEqual(phase({ state }));
    expect(refusal(PhaseRecord, phase({ state: 'timed-out' }))).toEqual([`state: ${STATES}`]);
    expect(refusal(PhaseRecord, phase({ state: '' }))).toEqual([`state: ${STATES}`]);
  });

  it('traceId: empty, short and 64 characters accepted, 65 refused', () => {
    expect(refusal(RunRecord, run({ traceId: '' }))).toEqual([]);
    expect(refusal(RunRecord, run({ traceId: 'abc' }))).toEqual([]);
    expect(refusal(RunRecord, run({ traceId: 'f'.repeat(64) }))).toEqual([]);
    expect(refusal(RunRecord, run({ traceId: 'f'.repeat(65) }))).toEqual(['traceId: Too big: expected string to have <=64 characters']);
  });
});

describe('NodeSample bounds', () => {
  it('cpuPercent: 0 and 100 accepted, -0.5 and 100.5 refused', () => {
    expect(refusal(NodeSample, node({ cpuPercent: 0 }))).toEqual([]);
    expect(refusal(NodeSample, node({ cpuPercent: 100 }))).toEqual([]);
    expect(refusal(NodeSample, node({ cpuPercent: -0.5 }))).toEqual(['cpuPercent: Too small: expected number to be >=0']);
    expect(refusal(NodeSample, node({ cpuPercent: 100.5 }))).toEqual(['cpuPercent: Too big: expected number to be <=100']);
  });
});

describe('DEFAULT_HISTORY_RETENTION_MS', () => {
  it('is 30 days in milliseconds', () => {
    expect(DEFAULT_HISTORY_RETENTION_MS).toBe(2_592_000_000);
  });
});

describe('parseWindow: the day form is anchored', () => {
  it('takes 1d and 30d', () => {
    expect(parseWindow('1d')).toBe(86_400_000);
    expect(parseWindow('30d')).toBe(2_592_000_000);
  });

  it('refuses a day count behind a bad prefix', () => {
    expect(parseWindow('x7d')).toBeUndefined();
    expect(parseWindow('-7d')).toBeUndefined();
  });

  it('refuses a day count followed by a bad suffix', () => {
    expect(parseWindow('7dx')).toBeUndefined();
    expect(parseWindow('7days')).toBeUndefined();
    expect(parseWindow('7d12h')).toBeUndefined();
  });
});

describe('decodeHistoryRecords: one schema pass for a valid batch', () => {
  // The bulk path and the record-by-record path return the same records; what tells them apart
  // is whether HistoryRecord.safeParse (the per-record decoder) runs. The doc promises one pass.
  it('decodes a valid batch (one record of exactly 16 KiB included) without decoding any record on its own', () => {
    const spy = jest.spyOn(HistoryRecord, 'safeParse');
    try {
      const batch = [JSON.stringify(attempt()), padded(run(), MAX_RECORD_BYTES), JSON.stringify(phase()), JSON.stringify(node())];
      expect(decodeHistoryRecords(batch)).toEqual({ records: [attempt(), run(), phase(), node()], skipped: 0 });
      expect(spy).toHaveBeenCalledTimes(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('a single valid record is a batch too', () => {
    const spy = jest.spyOn(HistoryRecord, 'safeParse');
    try {
      expect(decodeHistoryRecords([JSON.stringify(node())])).toEqual({ records: [node()], skipped: 0 });
      expect(spy).toHaveBeenCalledTimes(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('falls back to decoding each record once when one is bad, keeping the good ones in order', () => {
    const spy = jest.spyOn(HistoryRecord, 'safeParse');
    try {
      const batch = [JSON.stringify(attempt()), JSON.stringify(run({ state: 'running' })), JSON.stringify(node())];
      expect(decodeHistoryRecords(batch)).toEqual({ records: [attempt(), node()], skipped: 1 });
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });

  it('falls back when a record is one character over 16 KiB, and leaves that one out', () => {
    const spy = jest.spyOn(HistoryRecord, 'safeParse');
    try {
      expect(decodeHistoryRecords([JSON.stringify(phase()), padded(node(), MAX_RECORD_BYTES + 1)])).toEqual({ records: [phase()], skipped: 1 });
      // the oversized record is refused before it reaches the schema
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});
