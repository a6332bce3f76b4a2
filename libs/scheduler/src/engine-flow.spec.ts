/**
 * RunEngine flow details that mutation testing showed unobserved (issue 15): late results of
 * lost attempts, operator decisions at their bounds, how blocked work is skipped and worded, and
 * what a new attempt resets.
 */
import { HYBRID, enqueued, ofKind, setup, states } from './engine.spec-support.js';

describe('RunEngine: late results of attempts given up with a lost node', () => {
  function replaced() {
    const s = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1 }] }]);
    s.engine.start(s.run);
    s.launch('a', 'n1');
    s.engine.nodeLost(s.run, 'n1');
    return s;
  }
  const late = (outcome: 'succeeded' | 'failed', nodeId = 'n1') => ({ taskId: 'a', attempt: 1, outcome, exitCode: outcome === 'succeeded' ? 0 : 1, startedAt: 1_000, finishedAt: 1_900, outputTail: 'late', nodeId });

  it('a late success while the replacement runs: exactly a stop of the replacement, then the success', () => {
    const { engine, run, launch, clock } = replaced();
    launch('a', 'n2');
    clock.t = 3_000;
    const fx = engine.finished(run, late('succeeded'));
    expect(fx[0]).toEqual({ kind: 'stop', taskId: 'a', attempt: 2, nodeId: 'n2', reason: 'attempt 1 of this task already succeeded' });
    expect(fx[1]).toEqual({
      kind: 'event',
      event: { type: 'task', runId: 'run-1', taskId: 'a', phaseId: 'one', state: 'succeeded', attempt: 1, nodeId: 'n1', exitCode: 0, reason: 'attempt 1 succeeded on node n1 while it was lost; attempt 2 stopped', at: 3_000 },
    });
    expect(fx.slice(2).map((e) => (e.kind === 'event' ? `${e.event.type}:${e.event.state}` : e.kind))).toEqual(['phase:succeeded', 'run:succeeded']);
  });

  it('a late success while the replacement waits to retry: no stop, no dequeue, the task succeeds with the late result', () => {
    const { engine, run, launch, finish, task } = replaced();
    launch('a', 'n2');
    finish('a', 1);
    expect(task('a').state).toBe('retry-wait');
    const fx = engine.finished(run, late('succeeded'));
    expect(ofKind(fx, 'stop')).toEqual([]);
    expect(ofKind(fx, 'dequeue')).toEqual([]);
    expect(task('a')).toMatchObject({ state: 'succeeded', attempt: 1, nodeId: 'n1', startedAt: 1_000, finishedAt: 1_900, outputTail: 'late', waitingReason: undefined });
  });

  it('a late failure, a success from another node, or a success after the task finished is rejected', () => {
    const { engine, run, launch, finish, task } = replaced();
    expect(engine.finished(run, late('failed'))).toEqual([]);
    expect(engine.finished(run, late('succeeded', 'n9'))).toEqual([]);
    launch('a', 'n2');
    finish('a', 0);
    expect(engine.finished(run, late('succeeded'))).toEqual([]);
    expect(task('a')).toMatchObject({ state: 'succeeded', attempt: 2, nodeId: 'n2' });
  });
});

describe('RunEngine: operator decisions', () => {
  function waiting(retries = 0) {
    const s = setup([{ id: 'one', failure_policy: 'manual', tasks: [{ id: 'a', retries }] }]);
    s.engine.start(s.run);
    s.launch('a');
    s.finish('a', 1);
    return s;
  }

  it('cancel keeps the failure reason of the task', () => {
    const { engine, run, task } = waiting();
    const fx = engine.operator(run, 'a', 'cancel');
    expect(task('a')).toMatchObject({ state: 'failed', reason: 'exited with code 1' });
    expect(fx[0]).toMatchObject({ kind: 'event', event: { type: 'task', state: 'failed', reason: 'exited with code 1' } });
  });

  it('cancel of a task with no reason says it was cancelled by the operator', () => {
    const { engine, run, task } = waiting();
    task('a').reason = undefined;
    engine.operator(run, 'a', 'cancel');
    expect(task('a').reason).toBe('cancelled by operator');
  });

  it('retry never raises the attempt budget above 100', () => {
    const { engine, run, task } = waiting();
    task('a').attempt = 100;
    task('a').maxAttempts = 100;
    engine.operator(run, 'a', 'retry');
    expect(task('a').maxAttempts).toBe(100);
  });

  it('a failed attempt with retries left waits to retry instead of asking the operator', () => {
    const { task, run } = waiting(1);
    expect(task('a').state).toBe('retry-wait');
    expect(run.state).toBe('running');
  });
});

describe('RunEngine: blocked work is skipped and says why', () => {
  it('an in-phase dependent of a failed task is skipped naming the dependency; the phase reason names the failed task', () => {
    const { engine, run, launch, finish, task, phase } = setup([{ id: 'one', failure_policy: 'continue', tasks: [{ id: 'a' }, { id: 'b', depends_on: ['a'] }, { id: 'c' }] }]);
    engine.start(run);
    launch('a');
    launch('c');
    finish('a', 4);
    expect(task('b')).toMatchObject({ state: 'skipped', reason: 'dependency a failed' });
    finish('c', 0);
    expect(phase('one')).toMatchObject({ state: 'failed', reason: 'task a failed: exited with code 4' });
  });

  it('pending tasks of a skipped phase say which phase and why', () => {
    const { engine, run, launch, finish, task, phase } = setup(HYBRID);
    engine.start(run);
    launch('a');
    finish('a', 1);
    expect(phase('three')).toMatchObject({ state: 'skipped', reason: 'dependency two skipped' });
    expect(task('d')).toMatchObject({ state: 'skipped', reason: 'phase three skipped: dependency two skipped' });
    expect(states(run)).toMatchObject({ c: 'skipped', d: 'skipped', e: 'skipped' });
  });

  it('a phase that depends on a cancelled phase is skipped', () => {
    const { engine, run, launch, finish, phase } = setup([
      { id: 'one', tasks: [{ id: 'a' }] },
      { id: 'two', depends_on: ['one'], tasks: [{ id: 'b' }] },
    ]);
    engine.start(run);
    launch('a');
    finish('a', 143, 'cancelled');
    expect(phase('one').state).toBe('failed');
    expect(phase('two')).toMatchObject({ state: 'skipped', reason: 'dependency one failed' });
  });

  it('cancel skips pending tasks (nothing to stop) and cancels queued ones (dequeued)', () => {
    const { engine, run } = setup(HYBRID);
    engine.start(run);
    const fx = engine.cancel(run, 'enough');
    expect(ofKind(fx, 'dequeue')).toEqual([{ kind: 'dequeue', taskId: 'a' }, { kind: 'dequeue', taskId: 'b' }]);
    expect(ofKind(fx, 'stop')).toEqual([]);
    expect(states(run)).toEqual({ a: 'cancelled', b: 'cancelled', c: 'skipped', d: 'skipped', e: 'skipped' });
  });

  it('a dispatched task without a node is cancelled without a stop', () => {
    const { engine, run, task } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    engine.dispatched(run, 'a', 1, 'n1');
    task('a').nodeId = undefined;
    expect(ofKind(engine.cancel(run, 'x'), 'stop')).toEqual([]);
  });
});

describe('RunEngine: a new attempt starts clean', () => {
  it('queuing the next attempt clears the node and the times of the last one, and stamps queuedAt', () => {
    const { engine, run, launch, finish, task, clock } = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1 }] }]);
    engine.start(run);
    launch('a', 'n1');
    finish('a', 1);
    clock.t = 8_000;
    engine.retryDue(run, 'a', 1);
    expect(task('a')).toMatchObject({ state: 'queued', attempt: 2, nodeId: undefined, queuedAt: 8_000, dispatchedAt: undefined, startedAt: undefined, finishedAt: undefined });
  });

  it('a phase keeps the time it first finished; the run records when it finished', () => {
    const { engine, run, launch, finish, phase, clock } = setup([{ id: 'one', tasks: [{ id: 'a' }] }, { id: 'two', depends_on: ['one'], tasks: [{ id: 'b' }] }]);
    engine.start(run);
    launch('a');
    clock.t = 2_000;
    finish('a', 0);
    expect(phase('one').finishedAt).toBe(2_010);
    launch('b');
    clock.t = 3_000;
    finish('b', 0);
    expect(phase('one').finishedAt).toBe(2_010);
    expect(run).toMatchObject({ state: 'succeeded', finishedAt: 3_010 });
    expect(enqueued(engine.resume(run))).toEqual([]);
  });
});

describe('RunEngine: cascades and guards of advance', () => {
  it('a chain of in-phase dependencies declared in reverse is skipped to the end, and the phase and run finish', () => {
    const { engine, run, launch, finish, task, phase } = setup([
      { id: 'one', failure_policy: 'continue', tasks: [{ id: 'c', depends_on: ['b'] }, { id: 'b', depends_on: ['a'] }, { id: 'a' }] },
    ]);
    engine.start(run);
    launch('a');
    finish('a', 1);
    expect(states(run)).toEqual({ a: 'failed', b: 'skipped', c: 'skipped' });
    expect(task('c').reason).toBe('dependency b skipped');
    expect(phase('one').state).toBe('failed');
    expect(run.state).toBe('failed');
  });

  it('a chain declared in reverse runs in dependency order when everything succeeds', () => {
    const { engine, run, launch, finish } = setup([{ id: 'one', tasks: [{ id: 'c', depends_on: ['b'] }, { id: 'b', depends_on: ['a'] }, { id: 'a' }] }]);
    expect(enqueued(engine.start(run))).toEqual(['a#1']);
    launch('a');
    expect(enqueued(finish('a', 0))).toEqual(['b#1']);
    launch('b');
    expect(enqueued(finish('b', 0))).toEqual(['c#1']);
    launch('c');
    finish('c', 0);
    expect(run.state).toBe('succeeded');
  });

  it('resume of a run never started, or already finished, moves nothing', () => {
    const pending = setup(HYBRID);
    expect(pending.engine.resume(pending.run)).toEqual([]);
    expect(pending.run.state).toBe('pending');
    const done = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    done.engine.start(done.run);
    done.launch('a');
    done.finish('a', 0);
    expect(done.engine.resume(done.run)).toEqual([]);
  });

  it('cancel leaves finished tasks as they are', () => {
    const { engine, run, launch, finish, task } = setup([{ id: 'one', tasks: [{ id: 'a' }, { id: 'b' }] }]);
    engine.start(run);
    launch('a');
    finish('a', 0);
    engine.cancel(run, 'stop');
    expect(task('a').state).toBe('succeeded');
    expect(task('b').state).toBe('cancelled');
  });
});
