import { ValidationError } from './errors.js';
import { analyticsWindowMs, decodeHistoryRecord, decodeHistoryRecords, parseWindow } from './history.js';

/** Largest stored record read back (history.ts MAX_RECORD_BYTES). */
const MAX_RECORD_BYTES = 16 * 1024;
const DAY_MS = 86_400_000;

const sample = (at: number) => ({ type: 'node', nodeId: 'n1', at, cpuPercent: 5, memUsedMb: 100, memTotalMb: 200, running: 0 });
/** A valid record padded with JSON whitespace to exactly `length` characters. */
const padded = (at: number, length: number) => {
  const text = JSON.stringify(sample(at));
  return text + ' '.repeat(length - text.length);
};

function sinceError(since: string): ValidationError {
  try {
    analyticsWindowMs(since);
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error(`analyticsWindowMs("${since}") did not throw`);
}

describe('history records: size bound', () => {
  it('reads a valid record of exactly 16 KiB, and refuses one a character longer', () => {
    expect(decodeHistoryRecord(padded(1, MAX_RECORD_BYTES))).toEqual(sample(1));
    expect(decodeHistoryRecord(padded(1, MAX_RECORD_BYTES + 1))).toBeUndefined();
  });

  it('leaves out a valid record over 16 KiB in a batch, alone or among good ones', () => {
    expect(decodeHistoryRecords([padded(1, MAX_RECORD_BYTES + 1)])).toEqual({ records: [], skipped: 1 });
    expect(decodeHistoryRecords([JSON.stringify(sample(1)), padded(2, MAX_RECORD_BYTES + 1)])).toEqual({ records: [sample(1)], skipped: 1 });
  });

  it('keeps a record of exactly 16 KiB in a batch', () => {
    expect(decodeHistoryRecords([padded(1, MAX_RECORD_BYTES), JSON.stringify(sample(2))])).toEqual({ records: [sample(1), sample(2)], skipped: 0 });
  });
});

describe('history records: a batch of JSON that is not all records', () => {
  it('leaves out only the JSON values that are not records, and counts them', () => {
    const batch = [JSON.stringify(sample(1)), JSON.stringify({ type: 'node' }), '42', JSON.stringify(sample(3))];
    expect(decodeHistoryRecords(batch)).toEqual({ records: [sample(1), sample(3)], skipped: 2 });
  });
});

describe('analytics windows', () => {
  it('take a day count with blanks around it', () => {
    expect(parseWindow(' 7d ')).toBe(7 * DAY_MS);
    expect(parseWindow('\t30d\n')).toBe(30 * DAY_MS);
  });

  it('go up to ten years (3650d) and not a day further', () => {
    expect(analyticsWindowMs('3650d')).toBe(3650 * DAY_MS);
    const error = sinceError('3651d');
    expect(error.issues).toEqual([{ path: 'since', message: expect.stringMatching(/at most 3650d\), got "3651d"$/) }]);
  });

  it('quote at most 40 characters of a refused since', () => {
    const since = `${'y'.repeat(40)}${'z'.repeat(60)}`;
    const message = sinceError(since).issues[0]!.message;
    expect(message).toMatch(new RegExp(`got "${'y'.repeat(40)}"$`));
    expect(message).not.toContain('z');
  });
});
