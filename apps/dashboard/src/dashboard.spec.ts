import { MENU_KEYS, type TaskChooseReply } from '@shoal/protocol';
import { splitSse } from './api.js';
import { ganttLayout, ganttRows, phaseLayers, ticks } from './charts/layout.js';
import { orderAgents, utilisationSeries } from './derive.js';
import { MENU_BUTTON_KEYS, describeChooseReply, parseChoice } from './menu-answer.js';
import { parseRoute } from './route.js';
import { type AttemptBar, applyRunEvent, attemptsOfView, mergeAttempts } from './run-live.js';
import type { Run } from './types.js';

const RUN: Run = {
  id: 'r1',
  plan: 'p',
  state: 'running',
  submittedAt: 1000,
  phases: [
    { id: 'build', state: 'running', dependsOn: [] },
    { id: 'test', state: 'pending', dependsOn: ['build'] },
  ],
  tasks: [
    { id: 'a', phaseId: 'build', team: 't', role: 'r', state: 'running', attempt: 1, maxAttempts: 2, nodeId: 'n1', startedAt: 2000 },
    { id: 'b', phaseId: 'test', team: 't', role: 's', state: 'pending', attempt: 0, maxAttempts: 1 },
  ],
};

describe('dashboard model (pure parts of the page)', () => {
  it('splits server-sent events, keeping an incomplete event for the next chunk', () => {
    const { events, rest } = splitSse('event: snapshot\ndata: {"a":1}\n\n: keep-alive\n\nevent: task\ndata: {"b"');
    expect(events).toEqual([{ event: 'snapshot', data: '{"a":1}' }]);
    expect(rest).toBe('event: task\ndata: {"b"');
    expect(splitSse(`${rest}:2}\n\n`).events).toEqual([{ event: 'task', data: '{"b":2}' }]);
  });

  it('applies task, phase and run events to a view without touching the original', () => {
    let run = applyRunEvent(RUN, { type: 'task', runId: 'r1', taskId: 'a', phaseId: 'build', state: 'succeeded', attempt: 1, nodeId: 'n1', exitCode: 0, at: 5000 });
    run = applyRunEvent(run, { type: 'phase', runId: 'r1', phaseId: 'build', state: 'succeeded', at: 5000 });
    run = applyRunEvent(run, { type: 'agent', runId: 'r1', taskId: 'a', attempt: 1, state: 'menu', since: 4000, at: 4100 });
    run = applyRunEvent(run, { type: 'run', runId: 'r1', state: 'cancelled', reason: 'by operator', at: 6000 });
    expect(run.tasks[0]).toMatchObject({ state: 'succeeded', finishedAt: 5000, exitCode: 0, startedAt: 2000, agent: { state: 'menu', since: 4000 } });
    expect(run.phases[0]!.state).toBe('succeeded');
    expect(run).toMatchObject({ state: 'cancelled', reason: 'by operator', finishedAt: 6000 });
    expect(RUN.tasks[0]!.state).toBe('running');
  });

  it('keeps earlier attempts seen live next to the attempt the view holds', () => {
    const seen: AttemptBar[] = [{ taskId: 'a', attempt: 1, nodeId: 'n2', start: 1500, end: 1900, state: 'retry-wait' }];
    const view = { ...RUN, tasks: [{ ...RUN.tasks[0]!, attempt: 2 }] };
    const bars = mergeAttempts(seen, attemptsOfView(view));
    expect(bars.map((b) => `${b.taskId}#${b.attempt}@${b.nodeId}:${b.state}`)).toEqual(['a#1@n2:failed', 'a#2@n1:running']);
    // an attempt known only from an earlier view (awaiting an operator, then retried) ends as failed
    const earlier = attemptsOfView({ ...RUN, tasks: [{ ...RUN.tasks[0]!, state: 'awaiting-operator', finishedAt: 2500 }] });
    const later = mergeAttempts(earlier, attemptsOfView(view));
    expect(later.map((b) => `${b.attempt}:${b.state}:${b.end ?? '-'}`)).toEqual(['1:failed:2500', '2:running:-']);
    expect(ganttRows(bars)).toEqual(['n2', 'n1']);
  });

  it('gives attempts overlapping on one node lanes of their own, and reuses a lane once free', () => {
    const bar = (taskId: string, start: number, end?: number): AttemptBar => ({ taskId, attempt: 1, nodeId: 'n1', start, end, state: 'running' });
    const bars = [bar('a', 0, 10), bar('b', 5, 20), bar('c', 12), bar('d', 25)];
    const { rows, laneOf } = ganttLayout(bars, 30);
    expect(rows).toEqual([{ nodeId: 'n1', lanes: 2 }]);
    expect(bars.map((b) => laneOf.get(b))).toEqual([0, 1, 0, 1]);
  });

  it('lays phases out in columns by the depth of their dependencies', () => {
    const layers = phaseLayers([
      { id: 'a', dependsOn: [] },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['a', 'b'] },
      { id: 'd', dependsOn: [] },
    ]);
    expect(Object.fromEntries(layers)).toEqual({ a: 0, b: 1, c: 2, d: 0 });
  });

  it('spaces time ticks at a round step from the start', () => {
    expect(ticks(0, 10_000)).toEqual([0, 2000, 4000, 6000, 8000, 10_000]);
    expect(ticks(500, 600_500).length).toBeLessThanOrEqual(9);
  });

  it('routes fragments to pages', () => {
    expect(parseRoute('#/runs/r%2F1/tasks/t1')).toEqual({ page: 'task', runId: 'r/1', taskId: 't1' });
    expect(parseRoute('#/runs/r1')).toEqual({ page: 'run', runId: 'r1' });
    expect(parseRoute('#/analytics')).toEqual({ page: 'analytics' });
    expect(parseRoute('')).toEqual({ page: 'home' });
  });

  it('puts agents that need an operator first, longest waiting first', () => {
    const ref = { runId: 'r', attempt: 1, nodeId: 'n' };
    const order = orderAgents([
      { ...ref, taskId: 'working', agent: { state: 'working', since: 1 } },
      { ...ref, taskId: 'unknown' },
      { ...ref, taskId: 'menu-late', agent: { state: 'menu', since: 50 } },
      { ...ref, taskId: 'input-early', agent: { state: 'waiting-for-input', since: 10 } },
    ]).map((a) => a.taskId);
    expect(order).toEqual(['input-early', 'menu-late', 'working', 'unknown']);
  });

  it('puts every node utilisation on one time axis', () => {
    const { times, perNode } = utilisationSeries({
      utilisation: [
        { nodeId: 'a', points: [{ at: 1000, cpuPercent: 10, memUsedMb: 1, running: 0 }] },
        { nodeId: 'b', points: [{ at: 2000, cpuPercent: 20, memUsedMb: 1, running: 1 }] },
      ],
    });
    expect(times).toEqual([1, 2]);
    expect(perNode).toEqual([
      { nodeId: 'a', cpu: [10, null] },
      { nodeId: 'b', cpu: [null, 20] },
    ]);
  });

  it('offers only keys of the API allow-list (MENU_KEYS) and reads a typed option as a number or a label', () => {
    for (const k of MENU_BUTTON_KEYS) expect(MENU_KEYS).toContain(k);
    expect(parseChoice(' 2 ')).toBe(2);
    expect(parseChoice('0')).toBe('0');
    expect(parseChoice('Yes, I trust')).toBe('Yes, I trust');
    expect(parseChoice('  ')).toBeUndefined();
    const reply = { runId: 'r', taskId: 't', attempt: 1, nodeId: 'n', message: 'ok', changed: true, menu: { id: 'trust', options: [] }, chosen: { index: 2, label: 'Yes' }, keys: ['Down', 'Enter'] } satisfies TaskChooseReply;
    expect(describeChooseReply(reply)).toBe('chose 2. Yes (keys Down Enter): the screen changed');
  });
});
