/**
 * RunEngine details that mutation testing showed unobserved (issue 15): what each call records on
 * the task view, the bounds on attempts, and how reasons are worded.
 */
import { NotFoundError } from '@shoal/protocol';
import { findPhase, findTask, tasksOfPhase } from './run-transitions.js';
import { enqueued, ofKind, setup } from './engine.spec-support.js';

describe('RunEngine: what dispatched, waiting and finished record', () => {
  it('dispatched records the node and time and clears the waiting reason; ignored unless queued in that attempt', () => {
    const { engine, run, task, clock } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    engine.waiting(run, 'a', 'no node has 50% CPU free');
    expect(task('a').waitingReason).toBe('no node has 50% CPU free');
    clock.t = 2_000;
    expect(engine.dispatched(run, 'a', 2, 'n1')).toEqual([]);
    expect(task('a').state).toBe('queued');
    const fx = engine.dispatched(run, 'a', 1, 'n1');
    expect(task('a')).toMatchObject({ state: 'dispatched', nodeId: 'n1', dispatchedAt: 2_000, waitingReason: undefined });
    expect(fx).toEqual([{ kind: 'event', event: { type: 'task', runId: 'run-1', taskId: 'a', phaseId: 'one', state: 'dispatched', attempt: 1, nodeId: 'n1', exitCode: undefined, reason: undefined, at: 2_000 } }]);
    expect(engine.dispatched(run, 'a', 1, 'n2')).toEqual([]);
    expect(task('a').nodeId).toBe('n1');
  });

  it('waiting only annotates a queued task, and ignores unknown tasks', () => {
    const { engine, run, task, launch } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    launch('a');
    engine.waiting(run, 'a', 'late reason');
    expect(task('a').waitingReason).toBeUndefined();
    expect(() => engine.waiting(run, 'nope', 'x')).not.toThrow();
  });

  it('finished keeps the start time the node reported, else the one it had, and records the result', () => {
    const { engine, run, task, launch } = setup([{ id: 'one', tasks: [{ id: 'a' }, { id: 'b' }] }]);
    engine.start(run);
    launch('a');
    launch('b');
    engine.finished(run, { taskId: 'a', attempt: 1, outcome: 'succeeded', exitCode: 0, startedAt: 900, finishedAt: 1_500, outputTail: 'tail a', reason: 'done early' });
    expect(task('a')).toMatchObject({ startedAt: 900, finishedAt: 1_500, outputTail: 'tail a', reason: 'done early', outcome: 'succeeded', exitCode: 0 });
    engine.finished(run, { taskId: 'b', attempt: 1, outcome: 'succeeded', exitCode: 0, finishedAt: 1_600 });
    expect(task('b')).toMatchObject({ startedAt: 1_000, finishedAt: 1_600 });
  });

  it('an unknown task is a NotFoundError', () => {
    const { engine, run } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    expect(() => engine.started(run, 'ghost', 1, 0, 'n')).toThrow(NotFoundError);
    expect(() => engine.started(run, 'ghost', 1, 0, 'n')).toThrow('run run-1 has no task ghost');
  });
});

describe('RunEngine: reasons of failed attempts', () => {
  it.each([
    [{ outcome: 'failed' as const, exitCode: 2 }, 'exited with code 2'],
    [{ outcome: 'timed-out' as const, exitCode: null }, 'timed out'],
    [{ outcome: 'timed-out' as const, exitCode: 137 }, 'timed out'],
    [{ outcome: 'rejected' as const, exitCode: null }, 'rejected'],
    [{ outcome: 'lost' as const, exitCode: null }, 'lost'],
    [{ outcome: 'failed' as const, exitCode: 1, reason: 'out of memory' }, 'out of memory'],
  ])('%j is described as %p', (result, reason) => {
    const { engine, run, task, launch } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    launch('a');
    engine.finished(run, { taskId: 'a', attempt: 1, finishedAt: 2_000, ...result });
    expect(task('a')).toMatchObject({ state: 'failed', reason });
    expect(run.reason).toBe(`phase one failed: task a failed: ${reason}`);
  });

  it('a retry waits with the reason and the backoff the options give (0 without one)', () => {
    const { engine, run, task, launch } = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1 }] }]);
    engine.start(run);
    launch('a');
    const fx = engine.finished(run, { taskId: 'a', attempt: 1, outcome: 'failed', exitCode: 3, finishedAt: 2_000 });
    expect(task('a')).toMatchObject({ state: 'retry-wait', reason: 'exited with code 3' });
    expect(ofKind(fx, 'retry-after')).toEqual([{ kind: 'retry-after', taskId: 'a', attempt: 1, delayMs: 0 }]);
  });
});

describe('RunEngine: bounds on attempts', () => {
  it('an operator retry grants one more attempt, never lowering the maximum', () => {
    const { engine, run, task, launch, finish } = setup([{ id: 'one', failure_policy: 'manual', tasks: [{ id: 'a', retries: 2 }] }]);
    engine.start(run);
    for (let i = 0; i < 3; i++) {
      launch('a');
      finish('a', 1);
      if (task('a').state === 'retry-wait') engine.retryDue(run, 'a', task('a').attempt);
    }
    expect(task('a')).toMatchObject({ state: 'awaiting-operator', attempt: 3, maxAttempts: 3 });
    engine.operator(run, 'a', 'retry');
    expect(task('a')).toMatchObject({ state: 'queued', attempt: 4, maxAttempts: 4 });
  });

  it('attempts are capped at 100: a lost node at attempt 100 fails the task instead of queuing 101', () => {
    const { engine, run, task, launch } = setup([{ id: 'one', tasks: [{ id: 'a', on_node_lost: 'replace' }] }]);
    engine.start(run);
    const a = task('a');
    a.attempt = 100;
    a.maxAttempts = 100;
    launch('a', 'n1');
    const fx = engine.nodeLost(run, 'n1');
    expect(enqueued(fx)).toEqual([]);
    expect(task('a')).toMatchObject({ state: 'failed', attempt: 100, maxAttempts: 100, reason: 'node n1 lost' });
  });

  it('keeps the last 10 lost attempts of a task', () => {
    const { engine, run, task, launch } = setup([{ id: 'one', tasks: [{ id: 'a', on_node_lost: 'replace' }] }]);
    engine.start(run);
    for (let i = 1; i <= 12; i++) {
      launch('a', `n${i}`);
      engine.nodeLost(run, `n${i}`);
    }
    expect(task('a').lostAttempts!.map((l) => l.attempt)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(task('a')).toMatchObject({ state: 'queued', attempt: 13, maxAttempts: 13 });
  });

  it('a lost attempt that never started is remembered without a start time', () => {
    const { engine, run, task } = setup([{ id: 'one', tasks: [{ id: 'a', on_node_lost: 'replace' }] }]);
    engine.start(run);
    engine.dispatched(run, 'a', 1, 'n1');
    engine.nodeLost(run, 'n1');
    expect(task('a').lostAttempts).toStrictEqual([{ attempt: 1, nodeId: 'n1' }]);
  });
});

describe('RunEngine: cache hits', () => {
  it('a hit carries its exit code and is stamped with the engine clock', () => {
    const { engine, run, task, clock } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    clock.t = 7_000;
    engine.cached(run, 'a', 1, { reason: 'cache hit', exitCode: 3 });
    expect(task('a')).toMatchObject({ state: 'succeeded', exitCode: 3, finishedAt: 7_000, waitingReason: undefined });
  });
});

describe('findTask', () => {
  it('finds tasks by id, undefined for an unknown id, and sees tasks added to a view after a first lookup', () => {
    const { run } = setup([{ id: 'one', tasks: [{ id: 'a' }, { id: 'b' }] }]);
    expect(findTask(run, 'b')?.id).toBe('b');
    expect(findTask(run, 'zz')).toBeUndefined();
    run.tasks.push({ ...run.tasks[0]!, id: 'c' });
    expect(findTask(run, 'c')?.id).toBe('c');
  });
});

describe('findPhase and tasksOfPhase', () => {
  it('find a phase by id and the tasks of a phase in task order; undefined and [] for unknown ids; a task added after a first lookup is seen', () => {
    const { run } = setup([
      { id: 'one', tasks: [{ id: 'a' }, { id: 'b' }] },
      { id: 'two', depends_on: ['one'], tasks: [{ id: 'c' }, { id: 'd' }, { id: 'e' }] },
    ]);
    expect(findPhase(run, 'two')).toBe(run.phases[1]);
    expect(findPhase(run, 'three')).toBeUndefined();
    expect(tasksOfPhase(run, 'two').map((t) => t.id)).toEqual(['c', 'd', 'e']);
    expect(tasksOfPhase(run, 'one')).toEqual([run.tasks[0], run.tasks[1]]);
    expect(tasksOfPhase(run, 'three')).toEqual([]);
    run.tasks.push({ ...run.tasks[0]!, id: 'f' });
    expect(tasksOfPhase(run, 'one').map((t) => t.id)).toEqual(['a', 'b', 'f']);
    run.phases.push({ ...run.phases[0]!, id: 'three' });
    expect(findPhase(run, 'three')?.id).toBe('three');
  });
});
