import type { TaskView } from '@shoal/protocol';
import type { CompiledTask } from '@shoal/scheduler';
import { type IndexedRun, PlacedIndex } from './placed-index.js';

function run(id: string, tasks: Array<Partial<TaskView>>): IndexedRun {
  const views = tasks.map((t, i) => ({ id: `t${i}`, phaseId: 'p', team: 'a', role: `R${i}`, state: 'queued', attempt: 1, maxAttempts: 1, ...t }) as TaskView);
  return { view: { id, tasks: views }, plan: { tasks: new Map(views.map((t) => [t.id, { id: t.id } as CompiledTask])) } };
}

const ids = (list: Iterable<{ run: IndexedRun; task: TaskView }>) => [...list].map((p) => `${p.run.view.id}/${p.task.id}`).sort();

describe('PlacedIndex', () => {
  it('lists dispatched and running attempts by node, and nothing queued, finished or without a node', () => {
    const runs = new Map([
      ['r1', run('r1', [{ state: 'dispatched', nodeId: 'n1' }, { state: 'running', nodeId: 'n2' }, { state: 'queued' }, { state: 'succeeded', nodeId: 'n1' }])],
      ['r2', run('r2', [{ state: 'running', nodeId: 'n1' }, { state: 'running' }])],
    ]);
    const index = new PlacedIndex(runs);
    for (const id of runs.keys()) index.touched(id);
    expect(ids(index.onNode('n1'))).toEqual(['r1/t0', 'r2/t0']);
    expect(ids(index.onNode('n2'))).toEqual(['r1/t1']);
    expect(index.onNode('n3')).toEqual([]);
    expect(ids(index.all())).toEqual(['r1/t0', 'r1/t1', 'r2/t0']);
    expect([...index.all()][0]!.spec).toEqual({ id: 't0' });
  });

  it('re-lists only the runs touched since: an untouched run keeps its entries as listed, a touched one moves them', () => {
    const r1 = run('r1', [{ state: 'running', nodeId: 'n1' }]);
    const r2 = run('r2', [{ state: 'running', nodeId: 'n1' }]);
    const runs = new Map([['r1', r1], ['r2', r2]]);
    const index = new PlacedIndex(runs);
    index.touched('r1');
    index.touched('r2');
    expect(ids(index.onNode('n1'))).toEqual(['r1/t0', 'r2/t0']);
    r1.view.tasks[0]!.nodeId = 'n2';
    r2.view.tasks[0]!.nodeId = 'n2';
    index.touched('r1');
    expect(ids(index.onNode('n1'))).toEqual(['r2/t0']);
    expect(ids(index.onNode('n2'))).toEqual(['r1/t0']);
    index.touched('r2');
    expect(index.onNode('n1')).toEqual([]);
    expect(ids(index.onNode('n2'))).toEqual(['r1/t0', 'r2/t0']);
  });

  it('re-listing a run files and unfiles only the attempts whose placement changed: other nodes keep their lists', () => {
    const r1 = run('r1', [{ state: 'running', nodeId: 'n1' }, { state: 'running', nodeId: 'n2' }, { state: 'queued' }]);
    const index = new PlacedIndex(new Map([['r1', r1]]));
    index.touched('r1');
    const n1 = index.onNode('n1');
    const n2 = index.onNode('n2');
    r1.view.tasks[1]!.state = 'succeeded';
    r1.view.tasks[2]!.state = 'dispatched';
    r1.view.tasks[2]!.nodeId = 'n3';
    index.touched('r1');
    expect(index.onNode('n1')).toBe(n1);
    expect(index.onNode('n2')).toEqual([]);
    expect(n2.length).toBe(1);
    expect(ids(index.onNode('n3'))).toEqual(['r1/t2']);
    expect(ids(index.all())).toEqual(['r1/t0', 'r1/t2']);
  });

  it('drops a removed run and takes a replaced run object (recovery) with its own tasks', () => {
    const runs = new Map([['r1', run('r1', [{ state: 'running', nodeId: 'n1' }])]]);
    const index = new PlacedIndex(runs);
    index.touched('r1');
    expect(ids(index.onNode('n1'))).toEqual(['r1/t0']);
    const again = run('r1', [{ state: 'queued' }, { state: 'dispatched', nodeId: 'n1' }]);
    runs.set('r1', again);
    index.touched('r1');
    expect(index.onNode('n1').map((p) => p.run === again && p.task.id)).toEqual(['t1']);
    runs.delete('r1');
    index.touched('r1');
    expect(index.onNode('n1')).toEqual([]);
    expect([...index.all()]).toEqual([]);
  });

  it('never edits a list it handed out: a caller changing runs while it walks its node\'s list sees the list as it was', () => {
    const r1 = run('r1', [{ state: 'running', nodeId: 'n1' }, { state: 'running', nodeId: 'n1' }]);
    const index = new PlacedIndex(new Map([['r1', r1]]));
    index.touched('r1');
    const listed = index.onNode('n1');
    r1.view.tasks[0]!.state = 'succeeded';
    index.touched('r1');
    expect(ids(index.onNode('n1'))).toEqual(['r1/t1']);
    expect(ids(listed)).toEqual(['r1/t0', 'r1/t1']);
  });
});
