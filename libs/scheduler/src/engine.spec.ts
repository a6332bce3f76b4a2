import { ConflictError } from '@shoal/protocol';
import { HYBRID, enqueued, ofKind, runEvents, setup, states } from './engine.spec-support.js';

describe('RunEngine: the hybrid graph', () => {
  it('creates a pending view in topological order', () => {
    const { run } = setup(HYBRID);
    expect(run).toMatchObject({ id: 'run-1', plan: 'demo', state: 'pending', submittedAt: 1_000, traceId: 'trace-1' });
    expect(run.phases.map((p) => [p.id, p.state, p.dependsOn])).toEqual([['one', 'pending', []], ['two', 'pending', ['one']], ['three', 'pending', ['two']]]);
    expect(run.tasks.map((t) => [t.id, t.state, t.attempt, t.maxAttempts])).toEqual(['a', 'b', 'c', 'd', 'e'].map((id) => [id, 'pending', 0, 1]));
  });

  it('runs phase by phase: A,B then C after both, then D and E together', () => {
    const { engine, run, clock, phase, launch, finish } = setup(HYBRID);
    const fx = engine.start(run);
    expect(enqueued(fx)).toEqual(['a#1', 'b#1']);
    expect(runEvents(fx)).toEqual(['running']);
    expect([run.state, phase('one').state, phase('two').state, phase('three').state]).toEqual(['running', 'running', 'pending', 'pending']);
    launch('a', 'n1');
    launch('b', 'n2');
    expect(states(run)).toMatchObject({ a: 'running', b: 'running', c: 'pending' });
    expect(enqueued(finish('a', 0))).toEqual([]);
    expect(phase('two').state).toBe('pending');
    clock.t = 5_000;
    expect(enqueued(finish('b', 0))).toEqual(['c#1']);
    expect(phase('one')).toMatchObject({ state: 'succeeded', startedAt: 1_000 });
    expect(phase('two')).toMatchObject({ state: 'running', startedAt: 5_010 });
    launch('c');
    expect(enqueued(finish('c', 0))).toEqual(['d#1', 'e#1']);
    launch('d');
    launch('e');
    expect(run.state).toBe('running');
    finish('d', 0);
    const last = finish('e', 0);
    expect(runEvents(last)).toEqual(['succeeded']);
    expect(run).toMatchObject({ state: 'succeeded', startedAt: 1_000, finishedAt: clock.t });
    expect(run.phases.every((p) => p.state === 'succeeded')).toBe(true);
    expect(run.tasks.map((t) => [t.state, t.exitCode, t.outputTail])).toEqual(['a', 'b', 'c', 'd', 'e'].map((id) => ['succeeded', 0, `out of ${id}`]));
  });

  it('emits a task event for every transition, carrying attempt and node', () => {
    const { engine, run, launch } = setup(HYBRID);
    engine.start(run);
    const fx = launch('a', 'n7');
    expect(fx.map((e) => (e.kind === 'event' && e.event.type === 'task' ? [e.event.state, e.event.attempt, e.event.nodeId] : e.kind))).toEqual([
      ['dispatched', 1, 'n7'],
      ['running', 1, 'n7'],
    ]);
  });

  it('accepts started before dispatched (the ack may come late) and ignores a late dispatched', () => {
    const { engine, run, task } = setup(HYBRID);
    engine.start(run);
    engine.started(run, 'a', 1, 1_000, 'n3');
    expect(task('a')).toMatchObject({ state: 'running', nodeId: 'n3' });
    expect(engine.dispatched(run, 'a', 1, 'n3')).toEqual([]);
  });
});

describe('RunEngine: failure policies', () => {
  const failFast: PhaseSpec[] = [
    { id: 'one', tasks: [{ id: 'a' }, { id: 'b' }, { id: 'x' }, { id: 'y', depends_on: ['a'] }] },
    ...HYBRID.slice(1),
  ];

  it('fail-fast: a task exiting 1 stops running siblings, dequeues queued ones, skips dependents and fails the run naming the phase', () => {
    const { engine, run, phase, launch, finish } = setup(failFast);
    expect(enqueued(engine.start(run))).toEqual(['a#1', 'b#1', 'x#1']);
    launch('a', 'n1');
    launch('b', 'n2');
    const fx = finish('a', 1);
    expect(ofKind(fx, 'stop')).toEqual([{ kind: 'stop', taskId: 'b', attempt: 1, nodeId: 'n2', reason: 'sibling task a failed' }]);
    expect(ofKind(fx, 'dequeue')).toEqual([{ kind: 'dequeue', taskId: 'x' }]);
    expect(enqueued(fx)).toEqual([]);
    expect(states(run)).toEqual({ a: 'failed', b: 'cancelled', x: 'cancelled', y: 'skipped', c: 'skipped', d: 'skipped', e: 'skipped' });
    expect(phase('one')).toMatchObject({ state: 'failed', reason: 'task a failed: exited with code 1' });
    expect(phase('two')).toMatchObject({ state: 'skipped', reason: 'dependency one failed' });
    expect(phase('three')).toMatchObject({ state: 'skipped', reason: 'dependency two skipped' });
    expect(run).toMatchObject({ state: 'failed', reason: 'phase one failed: task a failed: exited with code 1' });
    expect(finish('b', 143, 'cancelled', 1)).toEqual([]);
  });

  it('continue: siblings finish, in-phase dependents are skipped, then the phase and run fail', () => {
    const { engine, run, phase, launch, finish } = setup([{ ...failFast[0]!, failure_policy: 'continue' }, ...HYBRID.slice(1)]);
    engine.start(run);
    launch('a');
    launch('b');
    const fx = finish('a', 2);
    expect(ofKind(fx, 'stop')).toEqual([]);
    expect(ofKind(fx, 'dequeue')).toEqual([]);
    expect(states(run)).toMatchObject({ a: 'failed', b: 'running', x: 'queued', y: 'skipped' });
    expect(phase('one').state).toBe('running');
    finish('b', 0);
    launch('x');
    finish('x', 0);
    expect(states(run)).toMatchObject({ b: 'succeeded', x: 'succeeded', c: 'skipped' });
    expect(run).toMatchObject({ state: 'failed', reason: 'phase one failed: task a failed: exited with code 2' });
  });

  const manual: PhaseSpec[] = [{ id: 'one', failure_policy: 'manual', tasks: [{ id: 'a' }, { id: 'b' }] }, ...HYBRID.slice(1)];

  function awaitingOperator() {
    const s = setup(manual);
    s.engine.start(s.run);
    s.launch('a');
    s.launch('b');
    const fx = s.finish('a', 1);
    return { ...s, fx };
  }

  it('manual: the run waits for an operator, and a retry re-queues the next attempt and completes the run', () => {
    const { engine, run, task, phase, launch, finish, fx } = awaitingOperator();
    expect(runEvents(fx)).toEqual(['awaiting-operator']);
    expect(task('a')).toMatchObject({ state: 'awaiting-operator', reason: 'exited with code 1' });
    expect(phase('one').state).toBe('awaiting-operator');
    expect(run).toMatchObject({ state: 'awaiting-operator', reason: 'task a needs an operator (shoal retry|skip|cancel)' });
    finish('b', 0);
    expect(run.state).toBe('awaiting-operator');
    const retry = engine.operator(run, 'a', 'retry');
    expect(enqueued(retry)).toEqual(['a#2']);
    expect(runEvents(retry)).toEqual(['running']);
    expect(task('a')).toMatchObject({ state: 'queued', attempt: 2, maxAttempts: 2 });
    expect(phase('one').state).toBe('running');
    launch('a');
    expect(enqueued(finish('a', 0))).toEqual(['c#1']);
    launch('c');
    finish('c', 0);
    launch('d');
    launch('e');
    finish('d', 0);
    finish('e', 0);
    expect(run.state).toBe('succeeded');
  });

  it('manual: skip lets the phase succeed without the task', () => {
    const { engine, run, task, phase, finish } = awaitingOperator();
    finish('b', 0);
    const fx = engine.operator(run, 'a', 'skip');
    expect(task('a')).toMatchObject({ state: 'skipped', reason: 'skipped by operator' });
    expect(phase('one').state).toBe('succeeded');
    expect(enqueued(fx)).toEqual(['c#1']);
    expect(run.state).toBe('running');
  });

  it('manual: cancel fails the task, its phase and the run', () => {
    const { engine, run, task, finish } = awaitingOperator();
    finish('b', 0);
    engine.operator(run, 'a', 'cancel');
    expect(task('a').state).toBe('failed');
    expect(run).toMatchObject({ state: 'failed', reason: 'phase one failed: task a failed: exited with code 1' });
  });

  it('manual: an operator decision on a task that is not waiting is a conflict', () => {
    const { engine, run } = awaitingOperator();
    expect(() => engine.operator(run, 'b', 'retry')).toThrow(ConflictError);
  });

  it('manual: two phases waiting at once each resume when their own task is resolved', () => {
    const { engine, run, phase, launch, finish } = setup([
      { id: 'p', failure_policy: 'manual', tasks: [{ id: 'a' }] },
      { id: 'q', failure_policy: 'manual', tasks: [{ id: 'b' }] },
    ]);
    engine.start(run);
    launch('a');
    launch('b');
    finish('a', 1);
    finish('b', 1);
    engine.operator(run, 'a', 'retry');
    expect(phase('p').state).toBe('running');
    expect(run.state).toBe('awaiting-operator');
    launch('a');
    finish('a', 0);
    expect(phase('p').state).toBe('succeeded');
    engine.operator(run, 'b', 'skip');
    expect(run.state).toBe('succeeded');
  });
});

describe('RunEngine: retries, fencing, lost nodes, cancel', () => {
  it('retries with the backoff delays, attempts 1, 2, 3, then succeeds', () => {
    const calls: Array<[number, string]> = [];
    const backoffMs = (n: number, id: string) => (calls.push([n, id]), 1_000 * 2 ** (n - 1));
    const { engine, run, task, phase, launch, finish } = setup([{ id: 'one', tasks: [{ id: 'a', retries: 2 }, { id: 'b' }] }], { backoffMs });
    const seen = enqueued(engine.start(run)).filter((e) => e.startsWith('a'));
    for (const delay of [1_000, 2_000]) {
      launch('a');
      const fx = finish('a', 1);
      const attempt = task('a').attempt;
      expect(ofKind(fx, 'retry-after')).toEqual([{ kind: 'retry-after', taskId: 'a', attempt, delayMs: delay }]);
      expect(task('a').state).toBe('retry-wait');
      expect(phase('one').state).toBe('running');
      expect(engine.retryDue(run, 'a', attempt - 1)).toEqual([]);
      seen.push(...enqueued(engine.retryDue(run, 'a', attempt)));
    }
    expect(seen).toEqual(['a#1', 'a#2', 'a#3']);
    expect(calls).toEqual([[1, 'a'], [2, 'a']]);
    launch('a');
    finish('a', 0);
    launch('b');
    finish('b', 0);
    expect(run.state).toBe('succeeded');
  });

  it('fails the task for good once its retries are used up', () => {
    const { engine, run, task, launch, finish } = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1 }] }]);
    engine.start(run);
    launch('a');
    finish('a', 1);
    engine.retryDue(run, 'a', 1);
    launch('a');
    const fx = finish('a', 1, 'timed-out');
    expect(ofKind(fx, 'retry-after')).toEqual([]);
    expect(task('a')).toMatchObject({ state: 'failed', attempt: 2, reason: 'timed out' });
    expect(run).toMatchObject({ state: 'failed', reason: 'phase one failed: task a failed: timed out' });
  });

  it('ignores results of stale attempts and duplicate results (fencing)', () => {
    const { engine, run, task, launch, finish } = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1 }] }]);
    engine.start(run);
    launch('a', 'n1');
    finish('a', 1);
    engine.retryDue(run, 'a', 1);
    launch('a', 'n2');
    expect(finish('a', 0, 'succeeded', 1)).toEqual([]);
    expect(engine.started(run, 'a', 1, 0, 'n1')).toEqual([]);
    expect(engine.dispatched(run, 'a', 1, 'n1')).toEqual([]);
    expect(task('a')).toMatchObject({ state: 'running', attempt: 2, nodeId: 'n2' });
    finish('a', 0);
    expect(finish('a', 1, 'failed', 2)).toEqual([]);
    expect(task('a').state).toBe('succeeded');
    expect(run.state).toBe('succeeded');
  });

  it('cancel stops running work, dequeues queued work and ends the run; cancelling again is a conflict', () => {
    const { engine, run, phase, launch } = setup(HYBRID);
    engine.start(run);
    launch('a', 'n1');
    const fx = engine.cancel(run, 'operator said so');
    expect(ofKind(fx, 'stop')).toEqual([{ kind: 'stop', taskId: 'a', attempt: 1, nodeId: 'n1', reason: 'operator said so' }]);
    expect(ofKind(fx, 'dequeue')).toEqual([{ kind: 'dequeue', taskId: 'b' }]);
    expect(states(run)).toEqual({ a: 'cancelled', b: 'cancelled', c: 'skipped', d: 'skipped', e: 'skipped' });
    expect(run.phases.map((p) => p.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(phase('two').reason).toBe('operator said so');
    expect(run).toMatchObject({ state: 'cancelled', reason: 'operator said so' });
    expect(engine.finished(run, { taskId: 'a', attempt: 1, outcome: 'cancelled', exitCode: null, finishedAt: 9 })).toEqual([]);
    expect(() => engine.cancel(run, 'again')).toThrow(ConflictError);
  });

  it('cancel of a finished run throws ConflictError; a pending run can be cancelled', () => {
    const { engine, run, launch, finish } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    launch('a');
    finish('a', 0);
    expect(run.state).toBe('succeeded');
    expect(() => engine.cancel(run, 'late')).toThrow(/already succeeded/);
    const other = setup(HYBRID);
    other.engine.cancel(other.run, 'never mind');
    expect(other.run.state).toBe('cancelled');
  });

  it('resume re-enqueues queued attempts with the same number and makes waiting retries due', () => {
    const { engine, run, launch, finish } = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1 }, { id: 'b' }] }]);
    engine.start(run);
    launch('a');
    finish('a', 1);
    const fx = engine.resume(run);
    expect(enqueued(fx)).toEqual(['b#1']);
    expect(ofKind(fx, 'retry-after')).toEqual([{ kind: 'retry-after', taskId: 'a', attempt: 1, delayMs: 0 }]);
  });
});

describe('RunEngine: result cache', () => {
  it('cached: a queued task succeeds without dispatch, keeps the stored output, and the run moves on', () => {
    const { engine, run, task, phase, launch, finish } = setup([
      { id: 'one', tasks: [{ id: 'a' }] },
      { id: 'two', depends_on: ['one'], tasks: [{ id: 'b' }] },
    ]);
    engine.start(run);
    expect(task('a').state).toBe('queued');
    const fx = engine.cached(run, 'a', 1, { reason: 'cache hit: result stored 3 s ago (key abc)', outputTail: 'stored output' });
    expect(task('a')).toMatchObject({ state: 'succeeded', outcome: 'succeeded', exitCode: 0, outputTail: 'stored output', reason: 'cache hit: result stored 3 s ago (key abc)' });
    expect(task('a').startedAt).toBeUndefined();
    expect(task('a').nodeId).toBeUndefined();
    expect(phase('one').state).toBe('succeeded');
    expect(enqueued(fx)).toEqual(['b#1']);
    launch('b');
    finish('b', 0);
    expect(run.state).toBe('succeeded');
  });

  it('cached: ignored for a stale attempt or a task that is no longer queued', () => {
    const { engine, run, task, launch } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    expect(engine.cached(run, 'a', 2, { reason: 'cache hit' })).toEqual([]);
    launch('a');
    expect(engine.cached(run, 'a', 1, { reason: 'cache hit' })).toEqual([]);
    expect(task('a').state).toBe('running');
  });
});
