import { ORPHAN_PAGE_MIN_AGE_MS, type PageSweepStore, sweepOrphanPages } from './orphan-pages.js';
import { headText, pageKey, pageRunId } from './run-pages.js';
import type { RunView } from '@shoal/protocol';

const NOW = 1_800_000_000_000;
const OLD = NOW - ORPHAN_PAGE_MIN_AGE_MS;
const YOUNG = OLD + 1;

/** A runs bucket in memory: text and bus time per key. */
function bucket(docs: Record<string, { text: string; created: number }>): PageSweepStore & { docs: typeof docs; purged: string[] } {
  const purged: string[] = [];
  return {
    docs,
    purged,
    keys: async (filter) => Object.keys(docs).filter((k) => k.startsWith(filter.replace(/>$/, ''))),
    read: async (k) => docs[k],
    purge: async (k) => {
      purged.push(k);
      delete docs[k];
    },
  };
}

const view = (id: string) => ({ id, plan: 'p', state: 'running', submittedAt: 1, phases: [], tasks: [] }) as unknown as RunView;

describe('pageRunId', () => {
  it("is the run of a page key, whatever the run id's dots and dashes; undefined for other keys", () => {
    for (const id of ['r-1', 'plan.with.dots-0a1b2c3d', 'a']) expect(pageRunId(pageKey(id, 12, 'beef01', 7))).toBe(id);
    for (const k of ['run.r-1', 'plan.r-1', 'page.r-1', 'page.r-1.0', 'page.r-1.x.w-1', 'page.r-1.0.w', 'page..0.w-1']) expect(pageRunId(k)).toBeUndefined();
  });
});

describe('sweepOrphanPages', () => {
  it('deletes the old pages no stored head names, and keeps the named ones and the young ones', async () => {
    const named = [pageKey('r-1', 0, 'w1', 1), pageKey('r-1', 1, 'w1', 2)];
    const store = bucket({
      'run.r-1': { text: headText(view('r-1'), named), created: OLD - 5 },
      [named[0]!]: { text: '[]', created: OLD - 5 },
      [named[1]!]: { text: '[]', created: OLD - 5 },
      [pageKey('r-1', 1, 'w1', 3)]: { text: '[]', created: OLD },
      [pageKey('r-1', 1, 'w2', 1)]: { text: '[]', created: YOUNG },
    });
    expect(await sweepOrphanPages(store, NOW)).toEqual({ pages: 4, deleted: 1, unreadableHeads: 0 });
    expect(store.purged).toEqual([pageKey('r-1', 1, 'w1', 3)]);
    expect(Object.keys(store.docs).sort()).toEqual(['run.r-1', ...named, pageKey('r-1', 1, 'w2', 1)].sort());
  });

  it("deletes the old pages of a run without a head, or stored whole (format 1), and never touches a head, a plan or another run's pages", async () => {
    const store = bucket({
      'run.whole': { text: JSON.stringify(view('whole')), created: OLD },
      'plan.whole': { text: '{"text":"x"}', created: OLD },
      [pageKey('whole', 0, 'w', 1)]: { text: '[]', created: OLD },
      [pageKey('gone', 0, 'w', 1)]: { text: '[]', created: OLD },
      [pageKey('gone', 1, 'w', 2)]: { text: '[]', created: OLD },
    });
    expect(await sweepOrphanPages(store, NOW)).toEqual({ pages: 3, deleted: 3, unreadableHeads: 0 });
    expect(Object.keys(store.docs).sort()).toEqual(['plan.whole', 'run.whole']);
  });

  it('keeps every page of a run whose head is not JSON, and counts it', async () => {
    const store = bucket({
      'run.odd': { text: '{"v":2, "pages": [', created: OLD },
      [pageKey('odd', 0, 'w', 1)]: { text: '[]', created: OLD },
      [pageKey('odd', 1, 'w', 2)]: { text: '[]', created: OLD },
    });
    expect(await sweepOrphanPages(store, NOW)).toEqual({ pages: 2, deleted: 0, unreadableHeads: 1 });
    expect(store.purged).toEqual([]);
  });

  it('reads each head once however many pages its run has, and skips a page gone meanwhile', async () => {
    const store = bucket({ 'run.r': { text: headText(view('r'), []), created: OLD } });
    for (let i = 0; i < 5; i++) store.docs[pageKey('r', i, 'w', i)] = { text: '[]', created: OLD };
    const reads: string[] = [];
    const read = store.read;
    store.read = async (k) => {
      reads.push(k);
      return k === pageKey('r', 2, 'w', 2) ? undefined : read(k);
    };
    expect(await sweepOrphanPages(store, NOW)).toEqual({ pages: 5, deleted: 4, unreadableHeads: 0 });
    expect(reads.filter((k) => k === 'run.r')).toHaveLength(1);
  });

  it('holds a page exactly younger than the minimum age, and takes the age it is given', async () => {
    const store = bucket({ [pageKey('r', 0, 'w', 1)]: { text: '[]', created: NOW - 999 } });
    expect((await sweepOrphanPages(store, NOW, 1000)).deleted).toBe(0);
    expect((await sweepOrphanPages(store, NOW, 999)).deleted).toBe(1);
  });
});
