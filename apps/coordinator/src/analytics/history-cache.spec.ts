import type { HistoryRecord } from '@shoal/protocol';
import { HistoryCache } from './history-cache.js';
import type { ReadFrom } from './history-stream.js';

const DAY = 86_400_000;
const node = (at: number): HistoryRecord => ({ type: 'node', nodeId: 'n1', at, cpuPercent: 1, memUsedMb: 1, memTotalMb: 2, running: 0 });

/** A fake append-only stream: message i has sequence i + 1 and stream time = the record's time. */
function stream() {
  const messages: HistoryRecord[] = [];
  const reads: ReadFrom[] = [];
  const read = async (from: ReadFrom) => {
    reads.push(from);
    const start = 'since' in from ? messages.findIndex((m) => (m.type === 'node' ? m.at : 0) >= from.since) : from.afterSeq;
    const records = start < 0 ? [] : messages.slice(start);
    return { records, skipped: 0, ...(records.length ? { lastSeq: messages.length } : {}) };
  };
  return { messages, reads, read };
}

describe('HistoryCache', () => {
  let now = 10 * DAY;
  const opts = { maxRecords: 100, retentionMs: 5 * DAY, now: () => now };

  it('reads everything once, then only what was stored after the last sequence', async () => {
    const s = stream();
    s.messages.push(node(8 * DAY), node(9 * DAY));
    const cache = new HistoryCache(s.read, opts);
    expect(await cache.since(7 * DAY)).toHaveLength(2);
    s.messages.push(node(9.5 * DAY));
    expect(await cache.since(7 * DAY)).toHaveLength(3);
    expect(await cache.since(8.5 * DAY)).toHaveLength(3); // a narrower window: the aggregation filters
    expect(s.reads).toEqual([{ since: 7 * DAY }, { afterSeq: 2 }, { afterSeq: 3 }]);
    expect(await cache.since(6 * DAY)).toHaveLength(3); // reaching further back: a full read
    expect(s.reads.at(-1)).toEqual({ since: 6 * DAY });
  });

  it('drops records past the retention, and keeps nothing beyond its size limit', async () => {
    const s = stream();
    s.messages.push(node(4 * DAY), node(6 * DAY));
    const cache = new HistoryCache(s.read, opts);
    expect(await cache.since(3 * DAY)).toEqual([node(6 * DAY)]);
    const small = new HistoryCache(s.read, { ...opts, maxRecords: 1, retentionMs: 100 * DAY });
    expect(await small.since(0)).toHaveLength(2);
    expect(small.size).toBe(0);
  });

  it('never overlaps reads, and a failed read leaves the cache usable', async () => {
    const s = stream();
    s.messages.push(node(8 * DAY));
    let fail = true;
    const cache = new HistoryCache(async (from) => {
      if (fail) {
        fail = false;
        throw new Error('stream electing a leader');
      }
      return s.read(from);
    }, opts);
    const [a, b] = await Promise.allSettled([cache.since(7 * DAY), cache.since(7 * DAY)]);
    expect(a.status).toBe('rejected');
    expect(b).toEqual({ status: 'fulfilled', value: [node(8 * DAY)] });
  });
});
