/**
 * RunEngine behaviours that mutation testing showed unobserved (issue 15): the stale-attempt
 * fence of `started`, the phase and run events of every transition, and one phase with several
 * tasks awaiting an operator.
 */
import type { RunEvent } from '@shoal/protocol';
import type { Effect } from './engine-types.js';
import { HYBRID, type PhaseSpec, enqueued, ofKind, setup } from './engine.spec-support.js';

/** The phase events among the effects, as `phase:state[:reason]`. */
const phaseEvents = (fx: Effect[]) =>
  fx.flatMap((e) => (e.kind === 'event' && e.event.type === 'phase' ? [`${e.event.phaseId}:${e.event.state}${e.event.reason ? `:${e.event.reason}` : ''}`] : []));
const events = (fx: Effect[]): RunEvent[] => fx.flatMap((e) => (e.kind === 'event' ? [e.event] : []));

describe('RunEngine.started: a late "started" of an old attempt is fenced', () => {
  function secondAttemptQueued() {
    const s = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1 }] }]);
    s.engine.start(s.run);
    s.launch('a', 'n1');
    s.finish('a', 1);
    s.engine.retryDue(s.run, 'a', 1);
    return s;
  }

  it('ignores started of attempt 1 while attempt 2 is dispatched: the current attempt stays dispatched on its node', () => {
    const { engine, run, task } = secondAttemptQueued();
    engine.dispatched(run, 'a', 2, 'n2');
    expect(engine.started(run, 'a', 1, 5, 'n1')).toEqual([]);
    expect(task('a')).toMatchObject({ state: 'dispatched', attempt: 2, nodeId: 'n2' });
    expect(task('a').startedAt).toBeUndefined();
  });

  it('ignores started of attempt 1 while attempt 2 is still queued', () => {
    const { engine, run, task } = secondAttemptQueued();
    expect(engine.started(run, 'a', 1, 5, 'n1')).toEqual([]);
    expect(task('a')).toMatchObject({ state: 'queued', attempt: 2 });
    expect(task('a').nodeId).toBeUndefined();
  });

  it('a started of the current attempt carries the reported start time and node', () => {
    const { engine, run, task } = secondAttemptQueued();
    engine.dispatched(run, 'a', 2, 'n2');
    const fx = engine.started(run, 'a', 2, 777, 'n3');
    expect(task('a')).toMatchObject({ state: 'running', attempt: 2, nodeId: 'n3', startedAt: 777 });
    expect(events(fx)).toEqual([expect.objectContaining({ type: 'task', taskId: 'a', state: 'running', attempt: 2, nodeId: 'n3' })]);
  });

  it('started of a task that is not queued or dispatched (retry-wait) is ignored', () => {
    const s = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1 }] }]);
    s.engine.start(s.run);
    s.launch('a', 'n1');
    s.finish('a', 1);
    expect(s.engine.started(s.run, 'a', 1, 5, 'n1')).toEqual([]);
    expect(s.task('a').state).toBe('retry-wait');
  });
});

describe('RunEngine: every phase and run transition is announced as an event', () => {
  it('start announces the run running and the first phase running, at the engine clock', () => {
    const { engine, run, clock } = setup(HYBRID);
    clock.t = 42_000;
    const fx = engine.start(run);
    expect(phaseEvents(fx)).toEqual(['one:running']);
    expect(events(fx).filter((e) => e.type !== 'task')).toEqual([
      { type: 'run', runId: 'run-1', state: 'running', reason: undefined, at: 42_000 },
      { type: 'phase', runId: 'run-1', phaseId: 'one', state: 'running', reason: undefined, at: 42_000 },
    ]);
  });

  it('a finished phase announces its success and the next phase its start, in that order', () => {
    const { engine, run, launch, finish, phase, clock } = setup(HYBRID);
    engine.start(run);
    launch('a');
    launch('b');
    expect(phaseEvents(finish('a', 0))).toEqual([]);
    const fx = finish('b', 0);
    expect(phaseEvents(fx)).toEqual(['one:succeeded', 'two:running']);
    expect(phase('one').finishedAt).toBe(clock.t);
    expect(phase('two').startedAt).toBe(clock.t);
  });

  it('a failed phase and the phases it blocks are announced with their reasons, then the run', () => {
    const { engine, run, launch, finish } = setup(HYBRID);
    engine.start(run);
    launch('a');
    launch('b');
    const fx = finish('a', 3);
    expect(phaseEvents(fx)).toEqual(['one:failed:task a failed: exited with code 3', 'two:skipped:dependency one failed', 'three:skipped:dependency two skipped']);
    const run2 = events(fx).filter((e) => e.type === 'run');
    expect(run2).toEqual([expect.objectContaining({ state: 'failed', reason: 'phase one failed: task a failed: exited with code 3' })]);
  });

  it('a cancelled outcome while the run is live fails the attempt, and the phase fails naming the task', () => {
    const { engine, run, launch, finish, phase } = setup([{ id: 'one', failure_policy: 'continue', tasks: [{ id: 'a' }, { id: 'b' }] }]);
    engine.start(run);
    launch('a');
    launch('b');
    finish('a', 0);
    const fx = finish('b', 143, 'cancelled');
    // a cancelled outcome of a live run is an attempt failure, the task fails
    expect(phase('one').state).toBe('failed');
    expect(phaseEvents(fx)).toEqual(['one:failed:task b failed: exited with code 143']);
  });

  it('manual policy: the phase announces awaiting-operator with the task and reason, and running again after the decision', () => {
    const { engine, run, launch, finish } = setup([{ id: 'one', failure_policy: 'manual', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    launch('a');
    const fx = finish('a', 1);
    expect(phaseEvents(fx)).toEqual(['one:awaiting-operator:task a needs an operator: exited with code 1']);
    const resumed = engine.operator(run, 'a', 'retry');
    expect(phaseEvents(resumed)).toEqual(['one:running']);
  });

  it('cancel announces every unfinished phase cancelled with the reason', () => {
    const { engine, run } = setup(HYBRID);
    engine.start(run);
    const fx = engine.cancel(run, 'stop it');
    expect(phaseEvents(fx)).toEqual(['one:cancelled:stop it', 'two:cancelled:stop it', 'three:cancelled:stop it']);
    expect(events(fx).at(-1)).toEqual({ type: 'run', runId: 'run-1', state: 'cancelled', reason: 'stop it', at: 1_000 });
  });
});

describe('RunEngine: two tasks of one phase awaiting an operator', () => {
  const manualPair: PhaseSpec[] = [
    { id: 'one', failure_policy: 'manual', tasks: [{ id: 'a' }, { id: 'b' }] },
    { id: 'two', depends_on: ['one'], tasks: [{ id: 'c' }] },
  ];

  function bothWaiting() {
    const s = setup(manualPair);
    s.engine.start(s.run);
    s.launch('a');
    s.launch('b');
    const first = s.finish('a', 1);
    const second = s.finish('b', 2);
    return { ...s, first, second };
  }

  it('the phase and run enter awaiting-operator once, on the first task', () => {
    const { run, phase, first, second } = bothWaiting();
    expect(phaseEvents(first)).toEqual(['one:awaiting-operator:task a needs an operator: exited with code 1']);
    expect(phaseEvents(second)).toEqual([]);
    expect(events(second).filter((e) => e.type === 'run')).toEqual([]);
    expect(phase('one').state).toBe('awaiting-operator');
    expect(run.state).toBe('awaiting-operator');
  });

  it('resolving one of them keeps the phase and the run waiting for the other', () => {
    const { engine, run, phase, task } = bothWaiting();
    const fx = engine.operator(run, 'a', 'skip');
    expect(task('a').state).toBe('skipped');
    expect(phase('one').state).toBe('awaiting-operator');
    expect(run.state).toBe('awaiting-operator');
    expect(phaseEvents(fx)).toEqual([]);
    expect(enqueued(fx)).toEqual([]);
  });

  it('resolving the second one resumes the phase, the run, and the next phase', () => {
    const { engine, run, phase } = bothWaiting();
    engine.operator(run, 'a', 'skip');
    const fx = engine.operator(run, 'b', 'skip');
    expect(phaseEvents(fx)).toEqual(['one:running', 'one:succeeded', 'two:running']);
    expect(events(fx).filter((e) => e.type === 'run').map((e) => e.state)).toEqual(['running']);
    expect(phase('one').state).toBe('succeeded');
    expect(enqueued(fx)).toEqual(['c#1']);
  });

  it('a retry of one of them re-queues it while the phase still waits for the other', () => {
    const { engine, run, phase, task } = bothWaiting();
    const fx = engine.operator(run, 'b', 'retry');
    expect(enqueued(fx)).toEqual(['b#2']);
    expect(task('b')).toMatchObject({ state: 'queued', attempt: 2, maxAttempts: 2 });
    expect(phase('one').state).toBe('awaiting-operator');
    expect(run.state).toBe('awaiting-operator');
    expect(ofKind(fx, 'event').filter((e) => e.event.type === 'run')).toEqual([]);
  });
});
