import { type Plan, LOST_AFTER, loadPlan } from '@shoal/protocol';
import { compilePlan, findCycle, topoOrder } from './graph.js';
import { compiled, issuesOf } from './graph.spec-support.js';

const yaml = (text: string): Plan => loadPlan(text);

describe('compilePlan: windows of batch members', () => {
  it('names the first member of a batch when a task outside it takes the role after several members', () => {
    const p = yaml(`
name: w
teams: [{ name: fe }]
phases:
  - id: a
    tasks:
      - { id: m1, team: fe, role: Docs, command: [make], batch: docs }
      - { id: m2, team: fe, role: Docs, command: [make], batch: docs }
      - { id: solo, team: fe, role: Docs, command: [make] }
`);
    expect(issuesOf(compilePlan(p))).toEqual([
      { path: 'phases[0].tasks[2].role', message: 'role "Docs" of team "fe" is already used in this phase by m1 (one window per role)' },
    ]);
  });
});

describe('compilePlan: task dependencies across phases', () => {
  it('reports two tasks of different phases naming each other as two misplaced edges, not as a cycle', () => {
    const p = yaml(`
name: x
teams: [{ name: fe }]
phases:
  - { id: a, tasks: [{ id: x, team: fe, role: X, command: [make], depends_on: [y] }] }
  - { id: b, depends_on: [a], tasks: [{ id: y, team: fe, role: Y, command: [make], depends_on: [x] }] }
`);
    const other = `is in another phase: order phases with the phase's depends_on instead`;
    expect(issuesOf(compilePlan(p))).toEqual([
      { path: 'phases[0].tasks[0].depends_on[0]', message: `task "y" ${other}` },
      { path: 'phases[1].tasks[0].depends_on[0]', message: `task "x" ${other}` },
    ]);
  });
});

describe('compilePlan: cache and node-loss fields', () => {
  const p = yaml(`
name: c
teams: [{ name: fe }]
phases:
  - id: a
    tasks:
      - { id: plain, team: fe, role: P, command: [make] }
      - { id: ttl, team: fe, role: T, command: [make], cache: { ttl: 1h } }
      - { id: keyed, team: fe, role: K, command: [make], cache: { ttl: 2m, inputs: [rev-1, schema-2] }, on_node_lost: wait, lost_after: 5m }
`);
  // compiled inside each test: a compile at describe time would make Stryker treat graph.ts mutants as static
  const tasks = () => compiled(compilePlan(p)).tasks;

  it('compiles the cache: ttl in ms and the inputs, none when the plan sets none', () => {
    const t = tasks();
    expect(t.get('ttl')!.cache).toEqual({ inputs: [], ttlMs: 3_600_000 });
    expect(t.get('keyed')!.cache).toEqual({ inputs: ['rev-1', 'schema-2'], ttlMs: 120_000 });
    expect(Object.keys(t.get('plain')!)).not.toContain('cache');
  });

  it('keeps the plan\'s on_node_lost and lost_after, else replace and the default bound', () => {
    const t = tasks();
    expect(t.get('keyed')).toMatchObject({ onNodeLost: 'wait', lostAfterMs: 300_000 });
    expect(t.get('plain')).toMatchObject({ onNodeLost: 'replace', lostAfterMs: LOST_AFTER.default });
  });
});

describe('findCycle: the walk', () => {
  const graph = (edges: Record<string, string[]>) => (id: string) => edges[id] ?? [];

  it('asks every node for its edges once, however many paths lead to it', () => {
    // a lattice of 12 layers of 2 nodes, each depending on both nodes of the layer below
    const edges: Record<string, string[]> = {};
    const nodes: string[] = [];
    for (let layer = 0; layer < 12; layer++) {
      for (const side of ['l', 'r']) {
        const id = `${String(layer).padStart(2, '0')}${side}`;
        nodes.push(id);
        edges[id] = layer === 0 ? [] : [`${String(layer - 1).padStart(2, '0')}l`, `${String(layer - 1).padStart(2, '0')}r`];
      }
    }
    const asked = new Map<string, number>();
    const counting = (id: string) => {
      asked.set(id, (asked.get(id) ?? 0) + 1);
      return edges[id]!;
    };
    expect(findCycle(nodes, counting)).toBeUndefined();
    expect([...asked.values()].every((n) => n === 1)).toBe(true);
    expect(asked.size).toBe(nodes.length);
  });

  it('shows only the nodes on the cycle, not a finished branch visited before it', () => {
    // a needs b (a dead end) and c; c needs a
    expect(findCycle(['a', 'b', 'c'], graph({ a: ['b', 'c'], c: ['a'] }))).toEqual(['a', 'c', 'a']);
  });

  it('starts from the smallest id, whatever the order the nodes are given in', () => {
    expect(findCycle(['c', 'b', 'a'], graph({ a: ['b'], b: ['c'], c: ['a'] }))).toEqual(['a', 'c', 'b', 'a']);
    expect(findCycle(['a', 'b', 'c'], graph({ a: ['b'], b: ['c'], c: ['a'] }))).toEqual(['a', 'c', 'b', 'a']);
  });
});

describe('topoOrder: ties', () => {
  it('keeps declaration order among nodes freed at the same time', () => {
    const edges: Record<string, string[]> = { x: ['root'], y: ['root'], z: ['root'] };
    expect(topoOrder(['root', 'z', 'x', 'y'], (id) => edges[id] ?? [])).toEqual(['root', 'z', 'x', 'y']);
  });
});
