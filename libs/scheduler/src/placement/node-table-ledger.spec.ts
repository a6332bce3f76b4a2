import { NodeTable } from './node-table.js';
import { LOAD_LEVELS, LoadIndex } from './load-index.js';
import { gate, members, nodeView } from './test-fixtures.js';

describe('NodeTable: the ledger of a round', () => {
  it('orders nodes by id and starts from capacity minus what is committed', () => {
    const t = new NodeTable([nodeView('b', { committed: { cpuPercent: 40, memoryMb: 1000, tasks: 3 } }), nodeView('a')], 60);
    expect(t.views.map((v) => v.id)).toEqual(['a', 'b']);
    expect([t.indexOf('a'), t.indexOf('b'), t.indexOf('zz')]).toEqual([0, 1, -1]);
    expect([...t.freeCpu]).toEqual([240, 200]);
    expect([...t.freeMem]).toEqual([8192, 7192]);
    expect([...t.freeTasks]).toEqual([8, 5]);
    expect([...t.trials]).toEqual([Infinity, Infinity]);
  });

  it('blocks a dead node, then one above the CPU band (not at it), then one whose breaker admits nothing', () => {
    const nodes = [
      nodeView('a', { alive: false, hostCpuPercent: 99 }),
      nodeView('b', { hostCpuPercent: 61 }),
      nodeView('c', { hostCpuPercent: 60 }),
      nodeView('d', { hostCpuPercent: undefined }),
      nodeView('e'),
      nodeView('f'),
    ];
    const t = new NodeTable(nodes, 60, gate({ e: 0, f: 2, b: 0 }));
    expect(t.block).toEqual(['dead', 'cpu-band', undefined, undefined, 'breaker', undefined]);
    expect(t.trials[5]).toBe(2);
  });

  it('counts open nodes: unblocked with at least one free task slot', () => {
    const nodes = [nodeView('a'), nodeView('b', { committed: { cpuPercent: 0, memoryMb: 0, tasks: 8 } }), nodeView('c', { alive: false }), nodeView('d', { committed: { cpuPercent: 0, memoryMb: 0, tasks: 7 } })];
    expect(new NodeTable(nodes, 60).openNodes).toBe(2);
  });

  it('reads load as the fullest of CPU, memory and task slots; a node without capacity is full', () => {
    const t = new NodeTable(
      [
        nodeView('cpu', { committed: { cpuPercent: 120, memoryMb: 0, tasks: 0 } }),
        nodeView('mem', { committed: { cpuPercent: 0, memoryMb: 6144, tasks: 0 } }),
        nodeView('slots', { committed: { cpuPercent: 0, memoryMb: 0, tasks: 2 } }),
        nodeView('zero', { capacity: { cpuPercent: 0, memoryMb: 0, maxTasks: 0 } }),
      ],
      60,
    );
    expect([0, 1, 2, 3].map((i) => t.load(i))).toEqual([0.5, 0.75, 0.25, 1]);
  });
});

describe('NodeTable: labels', () => {
  // built inside each test: a table built at describe time would make Stryker treat its mutants as static
  const table = () => new NodeTable(
    [
      nodeView('a', { labels: { agent: 'codex', repo: 'web' } }),
      nodeView('b', { labels: { agent: 'codex' } }),
      nodeView('c', { labels: { agent: 'claude', repo: 'web' } }),
      nodeView('d', { labels: { agent: 'codex', zone: 'x' } }),
    ],
    60,
  );

  it('matching: every required pair, none of the avoided ones; no selector is every node', () => {
    const t = table();
    expect(t.matching(['agent=codex', 'repo=web'], [])).toEqual([0]);
    expect(t.matching(['repo=web', 'agent=codex'], [])).toEqual([0]);
    expect(t.matching(['agent=codex'], ['zone=x'])).toEqual([0, 1]);
    expect(t.matching([], ['repo=web'])).toEqual([1, 3]);
    expect(t.matching([], [])).toEqual([0, 1, 2, 3]);
    expect(t.matching(['agent=gemini'], [])).toEqual([]);
  });

  it('withLabel lists the nodes carrying a pair', () => {
    const t = table();
    expect(t.withLabel('agent=codex')).toEqual([0, 1, 3]);
    expect(t.withLabel('agent=none')).toEqual([]);
  });

  it('matches a value that itself contains "="', () => {
    const eq = new NodeTable([nodeView('a', { labels: { opt: 'x=1' } }), nodeView('b', { labels: { opt: 'x' } })], 60);
    expect(eq.matching(['opt=x=1'], [])).toEqual([0]);
    expect(eq.matching([], ['opt=x=1'])).toEqual([1]);
  });
});

describe('NodeTable: candidates, fits, pick and commit', () => {
  it('candidates: unblocked nodes that can take the smallest demand, least loaded first, one index per selector', () => {
    const t = new NodeTable(
      [
        nodeView('busy', { committed: { cpuPercent: 120, memoryMb: 0, tasks: 1 } }),
        nodeView('dead', { alive: false }),
        nodeView('idle'),
        nodeView('tight', { committed: { cpuPercent: 200, memoryMb: 0, tasks: 1 } }),
      ],
      60,
    );
    t.floorCpu = 50;
    const c = t.candidates([], []);
    expect(members(c)).toEqual([2, 0]);
    expect(t.candidates([], [])).toBe(c);
    expect(t.candidates(['a=b'], [])).not.toBe(c);
  });

  it('fits: a free slot, a breaker trial, CPU and memory, and no task of the same anti-affinity group', () => {
    const t = new NodeTable([nodeView('a', { antiAffinityGroups: ['db'] }), nodeView('b'), nodeView('c')], 60, gate({ c: 0 }));
    expect(t.fits(1, 240, 8192, 'db')).toBe(true);
    expect(t.fits(1, 241, 100, undefined)).toBe(false);
    expect(t.fits(1, 100, 8193, undefined)).toBe(false);
    expect(t.fits(0, 100, 100, 'db')).toBe(false);
    expect(t.fits(0, 100, 100, 'web')).toBe(true);
    expect(t.fits(0, 100, 100, undefined)).toBe(true);
    expect(t.fits(2, 100, 100, undefined)).toBe(false);
    expect(t.hasGroup('db', 0)).toBe(true);
    expect(t.hasGroup('db', 1)).toBe(false);
  });

  it('pick: the least loaded that fits when spreading, the most loaded when packing', () => {
    const nodes = [nodeView('a', { committed: { cpuPercent: 120, memoryMb: 0, tasks: 1 } }), nodeView('b'), nodeView('c', { committed: { cpuPercent: 200, memoryMb: 0, tasks: 1 } })];
    const t = new NodeTable(nodes, 60);
    const c = t.candidates([], []);
    expect(t.pick(c, 10, 10, undefined, 'spread')).toBe(1);
    expect(t.pick(c, 10, 10, undefined, 'pack')).toBe(2);
    expect(t.pick(c, 100, 10, undefined, 'pack')).toBe(0);
    expect(t.pick(c, 10, 9000, undefined, 'spread')).toBe(-1);
  });

  it('commit takes the demand from the node, moves it to its new load and drops it from the candidates once full', () => {
    const t = new NodeTable([nodeView('a', { capacity: { cpuPercent: 240, memoryMb: 8192, maxTasks: 2 } }), nodeView('b')], 60, gate({ b: 1 }));
    const c = t.candidates([], []);
    expect(t.openNodes).toBe(2);
    t.commit(0, 60, 1024, 'db');
    expect([t.freeCpu[0], t.freeMem[0], t.freeTasks[0], t.trials[0]]).toEqual([180, 7168, 1, Infinity]);
    expect(t.hasGroup('db', 0)).toBe(true);
    expect(t.openNodes).toBe(2);
    expect(members(c)).toEqual([1, 0]);
    t.commit(1, 10, 10, undefined);
    expect(t.trials[1]).toBe(0);
    expect(t.openNodes).toBe(1);
    expect(members(c)).toEqual([0]);
    t.commit(0, 10, 10, undefined);
    expect(t.openNodes).toBe(0);
    expect(c.size).toBe(0);
  });

  it('pick drops a candidate that can no longer take the smallest demand', () => {
    const t = new NodeTable([nodeView('a'), nodeView('b')], 60);
    const c = t.candidates([], []);
    t.floorMem = 8000;
    t.commit(0, 0, 1000, undefined);
    expect(members(c)).toEqual([1]);
    t.floorMem = 9000;
    expect(t.pick(c, 1, 1, undefined, 'spread')).toBe(-1);
    expect(c.size).toBe(0);
  });
});

describe('LoadIndex', () => {
  it('buckets by load: 0 and below first, 1 and above last, and keeps arrival order within a level', () => {
    const idx = new LoadIndex(5);
    idx.put(0, 1.5);
    idx.put(1, 0.5);
    idx.put(2, -0.2);
    idx.put(3, 0.5 + 1 / LOAD_LEVELS);
    idx.put(4, 0.5);
    expect(members(idx)).toEqual([2, 1, 4, 3, 0]);
    const desc: number[] = [];
    idx.find(false, (i) => (desc.push(i), false));
    expect(desc).toEqual([0, 3, 1, 4, 2]);
    expect(idx.size).toBe(5);
  });

  it('moves a member that is put again, and removes members from the head, middle and tail of a level', () => {
    const idx = new LoadIndex(4);
    for (const i of [0, 1, 2, 3]) idx.put(i, 0.3);
    idx.put(0, 0.3);
    expect(members(idx)).toEqual([1, 2, 3, 0]);
    idx.remove(2);
    expect(members(idx)).toEqual([1, 3, 0]);
    idx.remove(1);
    expect(members(idx)).toEqual([3, 0]);
    idx.remove(0);
    expect(members(idx)).toEqual([3]);
    idx.remove(0);
    expect(idx.size).toBe(1);
    expect([idx.has(3), idx.has(0)]).toEqual([true, false]);
    idx.put(1, 0.3);
    expect(members(idx)).toEqual([3, 1]);
  });

  it('keeps the links right when node 0 comes first and a node after it is removed', () => {
    const idx = new LoadIndex(3);
    for (const i of [0, 1, 2]) idx.put(i, 0.2);
    expect(members(idx)).toEqual([0, 1, 2]);
    idx.remove(1);
    expect(members(idx)).toEqual([0, 2]);
    idx.remove(2);
    idx.put(1, 0.2);
    expect(members(idx)).toEqual([0, 1]);
  });

  it('keeps the links right when node 0 follows a removed node, then is removed itself', () => {
    const idx = new LoadIndex(3);
    idx.put(1, 0.2);
    idx.put(0, 0.2);
    idx.remove(1);
    idx.remove(0);
    expect(members(idx)).toEqual([]);
    idx.put(2, 0.2);
    expect(members(idx)).toEqual([2]);
  });

  it('find stops at the first member visit accepts and tolerates the visitor removing it', () => {
    const idx = new LoadIndex(3);
    for (const i of [0, 1, 2]) idx.put(i, 0);
    expect(idx.find(true, (i) => (i < 2 ? (idx.remove(i), false) : true))).toBe(2);
    expect(members(idx)).toEqual([2]);
    expect(idx.find(true, () => false)).toBe(-1);
  });
});
