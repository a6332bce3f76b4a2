import { ValidationError } from './errors.js';
import { analyticsWindowMs, decodeHistoryRecord, decodeHistoryRecords, historyTopology, parseWindow } from './history.js';

describe('history records and windows', () => {
  it('parses windows in days and in the duration forms of plans', () => {
    expect(parseWindow('7d')).toBe(7 * 86_400_000);
    expect(parseWindow('12h')).toBe(12 * 3_600_000);
    expect(parseWindow('90s')).toBe(90_000);
    expect(parseWindow('0d')).toBeUndefined();
    expect(parseWindow('week')).toBeUndefined();
    expect(analyticsWindowMs(undefined)).toBe(7 * 86_400_000);
  });

  it('refuses a bad since naming the field and the allowed form', () => {
    let error: unknown;
    try {
      analyticsWindowMs('yesterday');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]).toMatchObject({ path: 'since' });
    expect((error as ValidationError).message).toMatch(/7d, 12h, 30m or 90s/);
  });

  it('decodes stored records and never throws on junk', () => {
    const rec = { type: 'node', nodeId: 'n1', at: 1, cpuPercent: 5, memUsedMb: 100, memTotalMb: 200, running: 0 };
    expect(decodeHistoryRecord(JSON.stringify(rec))).toEqual(rec);
    expect(decodeHistoryRecord('{')).toBeUndefined();
    expect(decodeHistoryRecord(JSON.stringify({ ...rec, extra: 1 }))).toBeUndefined();
    expect(decodeHistoryRecord('x'.repeat(20_000))).toBeUndefined();
  });

  it('decodes a batch at once, and only leaves out the bad records of a batch that holds some', () => {
    const rec = (at: number) => JSON.stringify({ type: 'node', nodeId: 'n1', at, cpuPercent: 5, memUsedMb: 100, memTotalMb: 200, running: 0 });
    expect(decodeHistoryRecords([rec(1), rec(2)])).toEqual({ records: [JSON.parse(rec(1)), JSON.parse(rec(2))], skipped: 0 });
    expect(decodeHistoryRecords([rec(1), '{', JSON.stringify({ type: 'node' }), rec(3)])).toEqual({ records: [JSON.parse(rec(1)), JSON.parse(rec(3))], skipped: 2 });
    expect(decodeHistoryRecords([])).toEqual({ records: [], skipped: 0 });
  });

  it('names the stream and subjects after the namespace', () => {
    const h = historyTopology('t-1');
    expect(h.stream).toBe('T_1_HISTORY');
    expect(h.subject('attempt')).toBe('t-1.history.attempt');
    expect(h.all).toBe('t-1.history.>');
  });
});
