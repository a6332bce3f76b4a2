import type { RunEvent } from '@shoal/protocol';
import { type TaskFacts, TaskTimings } from './task-timings.js';

const task = (taskId: string, phaseId: string, state: string, at: number, attempt = 1): RunEvent => ({ type: 'task', runId: 'r1', taskId, phaseId, state: state as never, attempt, at });
const phase = (phaseId: string, state: string, at: number): RunEvent => ({ type: 'phase', runId: 'r1', phaseId, state: state as never, at });

describe('TaskTimings', () => {
  it('counts an attempt started with its dispatch latency, then its run time and final outcome', () => {
    const t = new TaskTimings();
    const facts: TaskFacts = { kind: 'web/Dev/npm', queuedAt: 1_000 };
    const f = () => facts;
    expect(t.observe(task('a', 'p1', 'running', 1_250), f)).toEqual([
      { add: 'tasksStarted', labels: { task_kind: 'web/Dev/npm' } },
      { record: 'dispatchLatency', value: 0.25, labels: { task_kind: 'web/Dev/npm' } },
    ]);
    Object.assign(facts, { startedAt: 5_000, finishedAt: 65_000, outcome: 'succeeded' });
    expect(t.observe(task('a', 'p1', 'succeeded', 66_000), f)).toEqual([
      { add: 'tasksFinished', labels: { task_kind: 'web/Dev/npm', outcome: 'succeeded' } },
      { record: 'taskDuration', value: 60, labels: { task_kind: 'web/Dev/npm', outcome: 'succeeded' } },
    ]);
  });

  it('a failed attempt that retries counts failed and retried, its run time under its own outcome; the last failure finishes the task', () => {
    const t = new TaskTimings();
    const f = () => ({ kind: 'k', startedAt: 0, finishedAt: 2_000, outcome: 'timed-out' });
    expect(t.observe(task('a', 'p1', 'retry-wait', 2_100), f)).toEqual([
      { add: 'tasksRetried', labels: { task_kind: 'k' } },
      { add: 'tasksFailed', labels: { task_kind: 'k' } },
      { record: 'taskDuration', value: 2, labels: { task_kind: 'k', outcome: 'timed-out' } },
    ]);
    const last = () => ({ kind: 'k', outcome: 'failed' });
    expect(t.observe(task('a', 'p1', 'failed', 5_000, 2), last)).toEqual([
      { add: 'tasksFailed', labels: { task_kind: 'k' } },
      { add: 'tasksFinished', labels: { task_kind: 'k', outcome: 'failed' } },
    ]);
  });

  it('measures the phase hand-off once: previous phase end to the first task of the next phase running', () => {
    const t = new TaskTimings();
    const f = () => ({ kind: 'k' });
    t.observe(phase('p1', 'running', 0), f);
    expect(t.observe(task('a', 'p1', 'running', 10), f)).toEqual([{ add: 'tasksStarted', labels: { task_kind: 'k' } }]);
    t.observe(phase('p1', 'succeeded', 1_000), f);
    t.observe(phase('p2', 'running', 1_001), f);
    expect(t.observe(task('b', 'p2', 'running', 1_400), f)).toContainEqual({ record: 'phaseHandoff', value: 0.4, labels: {} });
    expect(t.observe(task('c', 'p2', 'running', 1_500), f).some((m) => 'record' in m && m.record === 'phaseHandoff')).toBe(false);
    t.observe({ type: 'run', runId: 'r1', state: 'succeeded', at: 2_000 }, f);
    expect(t.tracked).toBe(0);
  });

  it('ignores tasks it cannot name, intermediate states and clocks that run backwards', () => {
    const t = new TaskTimings();
    expect(t.observe(task('x', 'p1', 'running', 1), () => undefined)).toEqual([]);
    expect(t.observe(task('x', 'p1', 'dispatched', 1), () => ({ kind: 'k' }))).toEqual([]);
    expect(t.observe(task('x', 'p1', 'running', 1), () => ({ kind: 'k', queuedAt: 5 }))).toContainEqual({ record: 'dispatchLatency', value: 0, labels: { task_kind: 'k' } });
    expect(t.observe({ type: 'output', runId: 'r1', taskId: 'x', attempt: 1, text: '', at: 1 }, () => ({ kind: 'k' }))).toEqual([]);
  });

  it('reads a task only for the states it records something for (a phase hand-off emits a queued and a dispatched event per task)', () => {
    const t = new TaskTimings();
    const read: string[] = [];
    const f = (_runId: string, taskId: string) => {
      read.push(taskId);
      return { kind: 'k' };
    };
    for (const state of ['pending', 'queued', 'dispatched', 'awaiting-operator']) t.observe(task(state, 'p1', state, 1), f);
    expect(read).toEqual([]);
    for (const state of ['running', 'retry-wait', 'succeeded', 'failed', 'cancelled', 'skipped']) t.observe(task(state, 'p1', state, 1), f);
    expect(read).toEqual(['running', 'retry-wait', 'succeeded', 'failed', 'cancelled', 'skipped']);
  });
});
