import { validatePlanObject } from '@shoal/protocol';
import { compilePlan } from './graph.js';
import { enqueued, ofKind, setup } from './engine.spec-support.js';

describe('RunEngine: lost nodes (on_node_lost, late results, reclaim)', () => {
  it('nodeLost re-queues the tasks of that node with a new attempt, without using up retries', () => {
    const { engine, run, task, launch, finish } = setup([{ id: 'one', tasks: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] }]);
    engine.start(run);
    launch('a', 'n1');
    engine.dispatched(run, 'b', 1, 'n1');
    launch('c', 'n2');
    const fx = engine.nodeLost(run, 'n1');
    expect(enqueued(fx)).toEqual(['a#2', 'b#2']);
    expect(task('a')).toMatchObject({ state: 'queued', attempt: 2, maxAttempts: 2, reason: 'node n1 lost', nodeId: undefined });
    expect(task('c')).toMatchObject({ state: 'running', attempt: 1 });
    expect(task('a').lostAttempts).toEqual([{ attempt: 1, nodeId: 'n1', startedAt: 1_000 }]);
    expect(finish('a', 1, 'failed', 1, 'n1')).toEqual([]);
    for (const id of ['a', 'b']) {
      launch(id, 'n2');
      finish(id, 0);
    }
    finish('c', 0);
    expect(run.state).toBe('succeeded');
  });

  it('a late success of an attempt given up with its lost node finishes the task and stops its replacement', () => {
    const { engine, run, task, launch, finish } = setup([{ id: 'one', tasks: [{ id: 'a' }, { id: 'b' }] }]);
    engine.start(run);
    launch('a', 'n1');
    launch('b', 'n1');
    engine.nodeLost(run, 'n1');
    launch('a', 'n2');
    expect(finish('b', 0, 'succeeded', 1, 'n2')).toEqual([]);
    expect(finish('a', 0, 'succeeded', 1, 'n9')).toEqual([]);
    const fx = finish('a', 0, 'succeeded', 1, 'n1');
    expect(ofKind(fx, 'stop')).toEqual([{ kind: 'stop', taskId: 'a', attempt: 2, nodeId: 'n2', reason: 'attempt 1 of this task already succeeded' }]);
    expect(task('a')).toMatchObject({ state: 'succeeded', attempt: 1, nodeId: 'n1', exitCode: 0 });
    expect(task('a').reason).toMatch(/attempt 1 succeeded on node n1 while it was lost; attempt 2 stopped/);
    expect(finish('a', 0, 'cancelled', 2, 'n2')).toEqual([]);
    const queuedFx = finish('b', 0, 'succeeded', 1, 'n1');
    expect(ofKind(queuedFx, 'dequeue')).toEqual([{ kind: 'dequeue', taskId: 'b' }]);
    expect(run.state).toBe('succeeded');
    expect(finish('b', 0, 'succeeded', 1, 'n1')).toEqual([]);
  });

  it('a node that comes back still running a given-up attempt keeps it when the replacement has not started', () => {
    const { engine, run, clock, task, launch, finish } = setup([{ id: 'one', tasks: [{ id: 'a' }, { id: 'b' }] }]);
    engine.start(run);
    launch('a', 'n1');
    launch('b', 'n1');
    const startedAt = task('a').startedAt;
    engine.nodeLost(run, 'n1');
    launch('b', 'n2');
    clock.t += 5000;
    expect(engine.reclaim(run, 'a', 1, 'n2')).toEqual([]);
    const fx = engine.reclaim(run, 'a', 1, 'n1');
    expect(ofKind(fx, 'dequeue')).toEqual([{ kind: 'dequeue', taskId: 'a' }]);
    expect(task('a')).toMatchObject({ state: 'running', attempt: 1, maxAttempts: 1, nodeId: 'n1', startedAt, lostAttempts: [] });
    expect(task('a').reason).toMatch(/node n1 came back with attempt 1 still running; attempt 2 dropped before it started/);
    expect(engine.reclaim(run, 'b', 1, 'n1')).toEqual([]);
    expect(task('b')).toMatchObject({ state: 'running', attempt: 2, nodeId: 'n2' });
    finish('a', 0);
    finish('b', 0);
    expect(run.state).toBe('succeeded');
  });

  it('on_node_lost: wait keeps the attempt of a lost node until lost_after, and a node that comes back keeps it', () => {
    const { engine, run, clock, task, launch, finish } = setup([{ id: 'one', tasks: [{ id: 'a', on_node_lost: 'wait', lost_after: 60 }, { id: 'b', on_node_lost: 'wait', lost_after: 60 }] }]);
    engine.start(run);
    launch('a', 'n1');
    launch('b', 'n1');
    const lost = engine.nodeLost(run, 'n1');
    expect(enqueued(lost)).toEqual([]);
    expect(ofKind(lost, 'lost-deadline')).toEqual([
      { kind: 'lost-deadline', taskId: 'a', attempt: 1, delayMs: 60_000 },
      { kind: 'lost-deadline', taskId: 'b', attempt: 1, delayMs: 60_000 },
    ]);
    expect(task('a')).toMatchObject({ state: 'running', attempt: 1, nodeId: 'n1', nodeLostAt: 1_000 });
    expect(task('a').reason).toMatch(/node n1 lost; keeping attempt 1 for up to 60 s/);
    expect(engine.nodeLost(run, 'n1').filter((e) => e.kind !== 'event')).toEqual([]);
    clock.t += 20_000;
    const resumed = engine.resume(run);
    expect(ofKind(resumed, 'lost-deadline')).toEqual([
      { kind: 'lost-deadline', taskId: 'a', attempt: 1, delayMs: 40_000 },
      { kind: 'lost-deadline', taskId: 'b', attempt: 1, delayMs: 40_000 },
    ]);
    engine.nodeBack(run, 'n1');
    expect(task('a').nodeLostAt).toBeUndefined();
    expect(engine.lostDeadline(run, 'a', 1)).toEqual([]);
    finish('a', 0);
    engine.nodeLost(run, 'n1');
    clock.t += 60_000;
    expect(enqueued(engine.lostDeadline(run, 'b', 1))).toEqual(['b#2']);
    expect(task('b')).toMatchObject({ state: 'queued', attempt: 2, maxAttempts: 2, lostAttempts: [{ attempt: 1, nodeId: 'n1' }] });
    expect(task('b').reason).toMatch(/node n1 lost and not back after 60 s/);
    launch('b', 'n2');
    finish('b', 0);
    expect(run.state).toBe('succeeded');
  });

  it('on_node_lost defaults to wait for interactive tasks and replace for others', () => {
    const parsed = validatePlanObject({
      name: 'p',
      teams: [{ name: 'fe' }],
      phases: [{ id: 'one', tasks: [
        { id: 'agent', team: 'fe', role: 'R', agent: 'claude', command: ['claude'] },
        { id: 'job', team: 'fe', role: 'J', command: ['make'] },
        { id: 'forced', team: 'fe', role: 'F', command: ['make'], interactive: true, on_node_lost: 'replace' },
      ] }],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const compiled = compilePlan(parsed.value);
    if (!compiled.ok) throw new Error('compile');
    const t = (id: string) => compiled.value.tasks.get(id)!;
    expect([t('agent').onNodeLost, t('job').onNodeLost, t('forced').onNodeLost]).toEqual(['wait', 'replace', 'replace']);
    expect(t('agent').lostAfterMs).toBe(15 * 60_000);
  });
});
