/**
 * The exact effects of each RunEngine call (issue 15: mutation testing showed that effect lists
 * were only filtered, never compared whole), and the guards of the lost-node calls.
 */
import type { Effect } from './engine-types.js';
import { enqueued, ofKind, setup } from './engine.spec-support.js';

const task = (state: string, id: string, attempt: number, at: number, over: Record<string, unknown> = {}): Effect => ({
  kind: 'event',
  event: { type: 'task', runId: 'run-1', taskId: id, phaseId: 'one', state, attempt, nodeId: undefined, exitCode: undefined, reason: undefined, at, ...over } as never,
});

describe('RunEngine: exact effects', () => {
  it('start: the run, its first phase, then each task queued and enqueued', () => {
    const { engine, run } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    expect(engine.start(run)).toEqual([
      { kind: 'event', event: { type: 'run', runId: 'run-1', state: 'running', reason: undefined, at: 1_000 } },
      { kind: 'event', event: { type: 'phase', runId: 'run-1', phaseId: 'one', state: 'running', reason: undefined, at: 1_000 } },
      task('queued', 'a', 1, 1_000),
      { kind: 'enqueue', taskId: 'a', attempt: 1 },
    ]);
  });

  it('resume: queued again, retries due, and a lost-deadline only for attempts kept for a lost node', () => {
    const { engine, run, launch, finish, clock } = setup([
      { id: 'one', tasks: [{ id: 'q' }, { id: 'r', retries: 1 }, { id: 'w', on_node_lost: 'wait', lost_after: 60 }, { id: 'x', on_node_lost: 'wait' }] },
    ]);
    engine.start(run);
    launch('r', 'n1');
    finish('r', 1);
    launch('w', 'n2');
    launch('x', 'n3');
    engine.nodeLost(run, 'n2');
    clock.t += 15_000;
    expect(engine.resume(run)).toEqual([
      { kind: 'enqueue', taskId: 'q', attempt: 1 },
      { kind: 'retry-after', taskId: 'r', attempt: 1, delayMs: 0 },
      { kind: 'lost-deadline', taskId: 'w', attempt: 1, delayMs: 45_000 },
    ]);
  });

  it('finished: the task event with exit code, then the phase and the run', () => {
    const { engine, run, launch } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    launch('a', 'n1');
    expect(engine.finished(run, { taskId: 'a', attempt: 1, outcome: 'succeeded', exitCode: 0, finishedAt: 1_500 })).toEqual([
      task('succeeded', 'a', 1, 1_000, { nodeId: 'n1', exitCode: 0 }),
      { kind: 'event', event: { type: 'phase', runId: 'run-1', phaseId: 'one', state: 'succeeded', reason: undefined, at: 1_000 } },
      { kind: 'event', event: { type: 'run', runId: 'run-1', state: 'succeeded', reason: undefined, at: 1_000 } },
    ]);
  });

  it('retryDue: the next attempt queued and enqueued (the view still carries the last exit code)', () => {
    const { engine, run, launch, finish, clock } = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1 }] }]);
    engine.start(run);
    launch('a');
    finish('a', 1);
    expect(engine.retryDue(run, 'a', 1)).toEqual([task('queued', 'a', 2, clock.t, { exitCode: 1 }), { kind: 'enqueue', taskId: 'a', attempt: 2 }]);
  });

  it('cached: the task succeeded with the hit as reason, then the phase and run', () => {
    const { engine, run } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    const fx = engine.cached(run, 'a', 1, { reason: 'cache hit' });
    expect(fx[0]).toEqual(task('succeeded', 'a', 1, 1_000, { exitCode: 0, reason: 'cache hit' }));
    expect(fx.map((e) => (e.kind === 'event' ? `${e.event.type}:${e.event.state}` : e.kind))).toEqual(['task:succeeded', 'phase:succeeded', 'run:succeeded']);
  });

  it('nodeBack: one note per attempt kept on that node, and nothing for other nodes or tasks not kept', () => {
    const { engine, run, launch } = setup([{ id: 'one', tasks: [{ id: 'a', on_node_lost: 'wait' }, { id: 'b', on_node_lost: 'wait' }, { id: 'c', on_node_lost: 'wait' }] }]);
    engine.start(run);
    launch('a', 'n1');
    launch('b', 'n2');
    engine.nodeLost(run, 'n1');
    engine.nodeLost(run, 'n2');
    launch('c', 'n1');
    expect(engine.nodeBack(run, 'n1')).toEqual([task('running', 'a', 1, 1_000, { nodeId: 'n1', reason: 'node n1 is back; attempt 1 kept' })]);
    expect(run.tasks.find((t) => t.id === 'b')!.nodeLostAt).toBe(1_000);
    expect(engine.nodeBack(run, 'n1')).toEqual([]);
  });
});

describe('RunEngine: a kept attempt given up by its cut-off node', () => {
  function keptOnLostNode() {
    const s = setup([{ id: 'one', tasks: [{ id: 'a', on_node_lost: 'wait', retries: 0 }] }]);
    s.engine.start(s.run);
    s.launch('a', 'n1');
    s.engine.nodeLost(s.run, 'n1');
    return s;
  }

  it('a "lost" result is not a failure: the task is queued again with one more attempt allowed', () => {
    const { engine, run, task: t } = keptOnLostNode();
    const fx = engine.finished(run, { taskId: 'a', attempt: 1, outcome: 'lost', exitCode: null, finishedAt: 2_000, nodeId: 'n1' });
    expect(enqueued(fx)).toEqual(['a#2']);
    expect(t('a')).toMatchObject({ state: 'queued', attempt: 2, maxAttempts: 2, reason: 'node n1 gave the attempt up while cut off', nodeLostAt: undefined });
    expect(t('a').lostAttempts).toEqual([{ attempt: 1, nodeId: 'n1', startedAt: 1_000 }]);
  });

  it('the node may say why', () => {
    const { engine, run, task: t } = keptOnLostNode();
    engine.finished(run, { taskId: 'a', attempt: 1, outcome: 'lost', exitCode: null, finishedAt: 2_000, reason: 'stop_after 5m elapsed' });
    expect(t('a').reason).toBe('stop_after 5m elapsed');
  });

  it('a "lost" result of an attempt whose node was never lost is an ordinary failure', () => {
    const { engine, run, launch, task: t } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    launch('a', 'n1');
    engine.finished(run, { taskId: 'a', attempt: 1, outcome: 'lost', exitCode: null, finishedAt: 2_000 });
    expect(t('a')).toMatchObject({ state: 'failed', outcome: 'lost', reason: 'lost' });
  });
});

describe('RunEngine: guards', () => {
  it('finished for an attempt that was never dispatched (still queued) is ignored', () => {
    const { engine, run, task: t } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    expect(engine.finished(run, { taskId: 'a', attempt: 1, outcome: 'succeeded', exitCode: 0, finishedAt: 5 })).toEqual([]);
    expect(t('a').state).toBe('queued');
  });

  it('retryDue for a task that is not waiting to retry is ignored', () => {
    const { engine, run, launch, task: t } = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1 }] }]);
    engine.start(run);
    launch('a');
    expect(engine.retryDue(run, 'a', 1)).toEqual([]);
    expect(t('a')).toMatchObject({ state: 'running', attempt: 1 });
  });

  it('nodeLost leaves alone the finished and queued tasks of that node', () => {
    const { engine, run, launch, finish, task: t } = setup([{ id: 'one', tasks: [{ id: 'a', on_node_lost: 'replace' }, { id: 'b', on_node_lost: 'replace' }] }]);
    engine.start(run);
    launch('a', 'n1');
    finish('a', 0);
    t('b').nodeId = 'n1';
    expect(engine.nodeLost(run, 'n1')).toEqual([]);
    expect(t('a').state).toBe('succeeded');
    expect(t('b')).toMatchObject({ state: 'queued', attempt: 1 });
  });

  it('lostDeadline is ignored for another attempt, a node that came back, or a task no longer running', () => {
    const { engine, run, launch, finish, task: t, clock } = setup([{ id: 'one', tasks: [{ id: 'a', on_node_lost: 'wait' }, { id: 'b', on_node_lost: 'wait' }] }]);
    engine.start(run);
    launch('a', 'n1');
    launch('b', 'n1');
    engine.nodeLost(run, 'n1');
    clock.t += 1_000_000;
    expect(engine.lostDeadline(run, 'a', 2)).toEqual([]);
    t('b').nodeLostAt = undefined;
    expect(engine.lostDeadline(run, 'b', 1)).toEqual([]);
    t('b').nodeLostAt = 1_000;
    finish('b', 0);
    t('b').nodeLostAt = 1_000;
    expect(engine.lostDeadline(run, 'b', 1)).toEqual([]);
    expect(t('b').state).toBe('succeeded');
    expect(enqueued(engine.lostDeadline(run, 'a', 1))).toEqual(['a#2']);
  });
});

describe('RunEngine: attempts dispatched but not yet started', () => {
  it('a result for a dispatched attempt counts (a node may refuse the task before it starts)', () => {
    const { engine, run, task: t } = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    engine.start(run);
    engine.dispatched(run, 'a', 1, 'n1');
    engine.finished(run, { taskId: 'a', attempt: 1, outcome: 'rejected', exitCode: null, finishedAt: 2_000, reason: 'command not found: codex' });
    expect(t('a')).toMatchObject({ state: 'failed', outcome: 'rejected', reason: 'command not found: codex' });
  });

  it('lostDeadline replaces a kept attempt that was only dispatched: exact effects', () => {
    const { engine, run, task: t, clock } = setup([{ id: 'one', tasks: [{ id: 'a', on_node_lost: 'wait', lost_after: 60 }] }]);
    engine.start(run);
    engine.dispatched(run, 'a', 1, 'n1');
    engine.nodeLost(run, 'n1');
    clock.t += 60_000;
    expect(engine.lostDeadline(run, 'a', 1)).toEqual([
      task('queued', 'a', 2, 61_000, { reason: undefined }),
      { kind: 'enqueue', taskId: 'a', attempt: 2 },
    ]);
    expect(t('a')).toMatchObject({ state: 'queued', attempt: 2, reason: 'node n1 lost and not back after 60 s (lost_after)' });
  });
});

describe('RunEngine.reclaim', () => {
  function replacedOnN2(retries = 0) {
    const s = setup([{ id: 'one', tasks: [{ id: 'a', retries, on_node_lost: 'replace' }] }]);
    s.engine.start(s.run);
    s.launch('a', 'n1');
    s.engine.nodeLost(s.run, 'n1');
    return s;
  }

  it('exact effects when the replacement is still queued: dequeue, dispatched, running with the reason', () => {
    const { engine, run, clock } = replacedOnN2();
    clock.t = 9_000;
    expect(engine.reclaim(run, 'a', 1, 'n1')).toEqual([
      { kind: 'dequeue', taskId: 'a' },
      task('dispatched', 'a', 1, 9_000, { nodeId: 'n1', reason: undefined }),
      task('running', 'a', 1, 9_000, { nodeId: 'n1', reason: 'node n1 came back with attempt 1 still running; attempt 2 dropped before it started' }),
    ]);
  });

  it('gives back only the extra attempt granted for the replacement', () => {
    const { engine, run, task: t } = replacedOnN2(2);
    expect(t('a').maxAttempts).toBe(4);
    engine.reclaim(run, 'a', 1, 'n1');
    expect(t('a').maxAttempts).toBe(3);
  });

  it('keeps the other lost attempts on record', () => {
    const { engine, run, launch, task: t } = replacedOnN2();
    launch('a', 'n2');
    engine.nodeLost(run, 'n2');
    expect(t('a').lostAttempts!.map((l) => `${l.attempt}@${l.nodeId}`)).toEqual(['1@n1', '2@n2']);
    engine.reclaim(run, 'a', 1, 'n1');
    expect(t('a').lostAttempts!.map((l) => `${l.attempt}@${l.nodeId}`)).toEqual(['2@n2']);
  });

  it('from retry-wait: the task is queued again (no dequeue), then dispatched and running', () => {
    const s = setup([{ id: 'one', tasks: [{ id: 'a', retries: 1, on_node_lost: 'replace' }] }]);
    s.engine.start(s.run);
    s.launch('a', 'n1');
    s.engine.nodeLost(s.run, 'n1');
    s.launch('a', 'n2');
    s.finish('a', 1);
    expect(s.task('a').state).toBe('retry-wait');
    const fx = s.engine.reclaim(s.run, 'a', 1, 'n1');
    expect(ofKind(fx, 'dequeue')).toEqual([]);
    expect(fx.map((e) => (e.kind === 'event' ? e.event.state : e.kind))).toEqual(['queued', 'dispatched', 'running']);
  });

  it('is refused for a task without lost attempts, for another attempt, or once the replacement runs', () => {
    const fresh = setup([{ id: 'one', tasks: [{ id: 'a' }] }]);
    fresh.engine.start(fresh.run);
    expect(fresh.engine.reclaim(fresh.run, 'a', 1, 'n1')).toEqual([]);
    const { engine, run, launch, task: t } = replacedOnN2();
    expect(engine.reclaim(run, 'a', 3, 'n1')).toEqual([]);
    launch('a', 'n2');
    expect(engine.reclaim(run, 'a', 1, 'n1')).toEqual([]);
    expect(t('a')).toMatchObject({ state: 'running', attempt: 2, nodeId: 'n2' });
  });
});
