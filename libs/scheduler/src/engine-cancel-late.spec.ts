/**
 * RunEngine behaviours that the last mutation run of engine.ts lines 241-476 left unobserved
 * (issue 15): what cancelling a run emits and leaves alone, a late success arriving while the
 * replacement is only dispatched, which late results count, the phase finish times, and the
 * operator's conflict message.
 */
import { ConflictError } from '@shoal/protocol';
import type { Effect } from './engine-types.js';
import { ofKind, setup } from './engine.spec-support.js';

const brief = (fx: Effect[]) =>
  fx.map((e) => {
    if (e.kind === 'event') {
      const ev = e.event;
      if (ev.type === 'run') return `run:run:${ev.state}`;
      if (ev.type === 'phase') return `phase:${ev.phaseId}:${ev.state}`;
      if (ev.type === 'task') return `task:${ev.taskId}:${ev.state}`;
      return ev.type;
    }
    if (e.kind === 'stop') return `stop:${e.taskId}#${e.attempt}@${e.nodeId}`;
    if (e.kind === 'dequeue') return `dequeue:${e.taskId}`;
    return e.kind;
  });

describe('RunEngine.cancel: exactly what it emits', () => {
  it('stops the running and the dispatched attempts on their nodes, dequeues the queued one, skips the pending phase, and nothing more', () => {
    const { engine, run, launch, task } = setup([
      { id: 'one', tasks: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] },
      { id: 'two', depends_on: ['one'], tasks: [{ id: 'd' }] },
    ]);
    engine.start(run);
    launch('a', 'n1');
    engine.dispatched(run, 'b', 1, 'n2');
    const fx = engine.cancel(run, 'enough');
    expect(brief(fx)).toEqual([
      'stop:a#1@n1',
      'task:a:cancelled',
      'stop:b#1@n2',
      'task:b:cancelled',
      'dequeue:c',
      'task:c:cancelled',
      'task:d:skipped',
      'phase:one:cancelled',
      'phase:two:cancelled',
      'run:run:cancelled',
    ]);
    expect(ofKind(fx, 'stop')).toEqual([
      { kind: 'stop', taskId: 'a', attempt: 1, nodeId: 'n1', reason: 'enough' },
      { kind: 'stop', taskId: 'b', attempt: 1, nodeId: 'n2', reason: 'enough' },
    ]);
    expect(task('b')).toMatchObject({ state: 'cancelled', reason: 'enough' });
  });

  it('sends no stop for an attempt that already ended: a task waiting for its retry, or for an operator, keeps its node but runs nothing there', () => {
    const { engine, run, launch, finish, task } = setup([
      { id: 'one', tasks: [{ id: 'a', retries: 1 }] },
      { id: 'two', failure_policy: 'manual', tasks: [{ id: 'b' }] },
    ]);
    engine.start(run);
    launch('a', 'n1');
    finish('a', 1);
    launch('b', 'n2');
    finish('b', 1);
    expect(task('a')).toMatchObject({ state: 'retry-wait', nodeId: 'n1' });
    expect(task('b')).toMatchObject({ state: 'awaiting-operator', nodeId: 'n2' });
    const fx = engine.cancel(run, 'enough');
    expect(ofKind(fx, 'stop')).toEqual([]);
    expect([task('a').state, task('b').state]).toEqual(['cancelled', 'cancelled']);
  });

  it('leaves a phase that already succeeded as it was, and cancels the rest', () => {
    const { engine, run, launch, finish, phase } = setup([
      { id: 'one', tasks: [{ id: 'a' }] },
      { id: 'two', depends_on: ['one'], tasks: [{ id: 'b' }] },
    ]);
    engine.start(run);
    launch('a');
    finish('a', 0);
    const fx = engine.cancel(run, 'enough');
    expect(phase('one').state).toBe('succeeded');
    expect(phase('two')).toMatchObject({ state: 'cancelled', reason: 'enough' });
    expect(brief(fx)).toEqual(['dequeue:b', 'task:b:cancelled', 'phase:two:cancelled', 'run:run:cancelled']);
  });
});

describe('RunEngine: phases record when they finished, however they finished', () => {
  it('a running phase has no finish time; a skipped and a cancelled phase get the engine clock', () => {
    const { engine, run, launch, finish, phase, clock } = setup([
      { id: 'one', tasks: [{ id: 'a' }] },
      { id: 'two', depends_on: ['one'], tasks: [{ id: 'b' }] },
      { id: 'three', tasks: [{ id: 'c' }] },
    ]);
    engine.start(run);
    expect(phase('one')).toMatchObject({ state: 'running', startedAt: 1_000 });
    expect(phase('one').finishedAt).toBeUndefined();
    launch('a');
    clock.t = 5_000;
    finish('a', 1);
    expect(phase('two')).toMatchObject({ state: 'skipped', finishedAt: 5_010 });
    expect(phase('three').finishedAt).toBeUndefined();
    clock.t = 9_000;
    engine.cancel(run, 'enough');
    expect(phase('three')).toMatchObject({ state: 'cancelled', finishedAt: 9_000 });
    expect(phase('two').finishedAt).toBe(5_010);
  });
});

describe('RunEngine: late results of attempts given up with a lost node (more cases)', () => {
  it('a late success while the replacement is only dispatched stops the replacement on its node', () => {
    const { engine, run, task } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    engine.dispatched(run, 'a', 1, 'n1');
    engine.started(run, 'a', 1, 1_000, 'n1');
    engine.nodeLost(run, 'n1');
    engine.dispatched(run, 'a', 2, 'n2');
    expect(task('a').state).toBe('dispatched');
    const fx = engine.finished(run, { taskId: 'a', attempt: 1, outcome: 'succeeded', exitCode: 0, finishedAt: 1_500, outputTail: 'late', nodeId: 'n1' });
    expect(ofKind(fx, 'stop')).toEqual([{ kind: 'stop', taskId: 'a', attempt: 2, nodeId: 'n2', reason: 'attempt 1 of this task already succeeded' }]);
    expect(task('a')).toMatchObject({ state: 'succeeded', attempt: 1, nodeId: 'n1' });
    expect(run.state).toBe('succeeded');
  });

  it('only the attempt given up counts: a success of a later attempt from the same node, reported after it failed, is rejected', () => {
    const { engine, run, task, launch, finish } = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1 }] }]);
    engine.start(run);
    launch('a', 'n1');
    engine.nodeLost(run, 'n1'); // attempt 1 given up with n1
    launch('a', 'n1'); // n1 is back and gets attempt 2
    finish('a', 1); // attempt 2 fails: retry-wait
    engine.retryDue(run, 'a', 2); // attempt 3 queued
    expect(task('a')).toMatchObject({ state: 'queued', attempt: 3 });
    const fx = engine.finished(run, { taskId: 'a', attempt: 2, outcome: 'succeeded', exitCode: 0, finishedAt: 2_000, outputTail: 'bogus', nodeId: 'n1' });
    expect(fx).toEqual([]);
    expect(task('a')).toMatchObject({ state: 'queued', attempt: 3 });
  });
});

describe('RunEngine.operator: a task not awaiting an operator', () => {
  it('is a ConflictError naming the task and its state', () => {
    const { engine, run, launch } = setup([{ id: 'one', failure_policy: 'manual', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    launch('a');
    expect(() => engine.operator(run, 'a', 'retry')).toThrow(ConflictError);
    expect(() => engine.operator(run, 'a', 'skip')).toThrow('task a is running, not awaiting-operator');
  });
});

describe('RunEngine.finished: the end of an attempt cancelled while it ran', () => {
  it("keeps its node's exit code, end time and output tail; the task stays cancelled and nothing is emitted", () => {
    const { engine, run, launch, finish, task, clock } = setup([{ id: 'one', tasks: [{ id: 'a' }, { id: 'b' }] }]);
    engine.start(run);
    launch('a', 'n1');
    launch('b', 'n2');
    engine.cancel(run, 'enough');
    clock.t += 500;
    expect(finish('a', 130, 'cancelled', 1, 'n1')).toEqual([]);
    const ended = clock.t;
    expect(task('a')).toMatchObject({ state: 'cancelled', reason: 'enough', exitCode: 130, outcome: 'cancelled', finishedAt: ended, outputTail: 'out of a' });
    expect(run.state).toBe('cancelled');
    // only once, and only from the attempt's own node
    clock.t += 500;
    expect(finish('a', 1, 'failed', 1, 'n1')).toEqual([]);
    expect(task('a')).toMatchObject({ exitCode: 130, outcome: 'cancelled', finishedAt: ended, outputTail: 'out of a' });
    expect(finish('b', 130, 'cancelled', 1, 'n3')).toEqual([]);
    expect(finish('b', 130, 'cancelled', 1)).toEqual([]);
    const b = task('b');
    expect(b.state).toBe('cancelled');
    expect([b.exitCode, b.outcome, b.outputTail, b.finishedAt]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('ignores a report for a task cancelled before it was dispatched, and one of another attempt', () => {
    const { engine, run, finish, task } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    engine.cancel(run, 'enough');
    expect(finish('a', 0, 'succeeded', 1, 'n1')).toEqual([]);
    expect(finish('a', 0, 'succeeded', 2, 'n1')).toEqual([]);
    const a = task('a');
    expect(a.state).toBe('cancelled');
    expect([a.exitCode, a.outputTail, a.finishedAt]).toEqual([undefined, undefined, undefined]);
  });
});
