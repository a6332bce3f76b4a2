import type { RunView, TaskView } from '@shoal/protocol';
import { fittedPhaseBars, phaseBars } from './bars.js';
import { RunProgress } from './progress.js';

const task = (id: string, over: Partial<TaskView> = {}): TaskView => ({ id, phaseId: 'p1', team: 't', role: 'r', state: 'queued', attempt: 1, maxAttempts: 1, ...over });

function view(tasks: TaskView[], over: Partial<RunView> = {}): RunView {
  return {
    id: 'run-1',
    plan: 'demo',
    state: 'running',
    submittedAt: 1000,
    startedAt: 1000,
    phases: [
      { id: 'p1', state: 'running', dependsOn: [], startedAt: 1000 },
      { id: 'p2', state: 'pending', dependsOn: ['p1'] },
    ],
    tasks,
    ...over,
  };
}

const taskLines = (events: ReturnType<RunProgress['event']>) => events.filter((e) => e.type === 'task').map((e) => e.type === 'task' && `${e.taskId}#${e.attempt} ${e.state}${e.replayed ? ' (replayed)' : ''}`);

describe('RunProgress', () => {
  it('replays from the stream snapshot a first task that started (and even finished) before the stream opened', () => {
    const p = new RunProgress();
    p.snapshot(view([task('a'), task('b', { phaseId: 'p2', state: 'pending' })]), 1000);
    const replayed = p.snapshot(
      view([task('a', { state: 'succeeded', nodeId: 'n1', startedAt: 1100, finishedAt: 1200, exitCode: 0 }), task('b', { phaseId: 'p2', state: 'pending' })]),
      1300,
    );
    expect(taskLines(replayed)).toEqual(['a#1 running (replayed)', 'a#1 succeeded (replayed)']);
    expect(replayed.find((e) => e.type === 'task' && e.state === 'running')).toMatchObject({ nodeId: 'n1', at: 1100 });
  });

  it('does not repeat what a snapshot already showed, and drops stale attempts', () => {
    const p = new RunProgress();
    p.snapshot(view([task('a', { state: 'running', nodeId: 'n1', startedAt: 1100 })]), 1150);
    expect(p.event({ type: 'task', runId: 'run-1', taskId: 'a', phaseId: 'p1', state: 'running', attempt: 1, nodeId: 'n1', at: 1100 })).toEqual([]);
    expect(taskLines(p.event({ type: 'task', runId: 'run-1', taskId: 'a', phaseId: 'p1', state: 'succeeded', attempt: 1, at: 1500 }))).toEqual(['a#1 succeeded']);
    expect(p.event({ type: 'task', runId: 'run-1', taskId: 'a', phaseId: 'p1', state: 'queued', attempt: 1, at: 1600 })).toHaveLength(1);
    p.event({ type: 'task', runId: 'run-1', taskId: 'a', phaseId: 'p1', state: 'queued', attempt: 2, at: 1700 });
    expect(p.event({ type: 'task', runId: 'run-1', taskId: 'a', phaseId: 'p1', state: 'failed', attempt: 1, at: 1800 })).toEqual([]);
  });

  it('counts a phase and estimates its time left from the longest task left', () => {
    const estimates: Record<string, number> = { a: 10_000, b: 4_000 };
    const p = new RunProgress({ estimateMs: (id) => estimates[id] });
    p.snapshot(view([task('a', { state: 'running', nodeId: 'n', startedAt: 2000 }), task('b'), task('c', { state: 'succeeded', startedAt: 1000, finishedAt: 1500 })]), 3000);
    const [p1, p2] = p.phases(5000);
    expect(p1).toMatchObject({ id: 'p1', total: 3, done: 1, running: 1, elapsedMs: 4000, etaMs: 7000 });
    expect(p2).toMatchObject({ id: 'p2', state: 'pending', total: 0 });
    estimates.b = undefined as unknown as number;
    expect(p.phases(5000)[0]!.etaMs).toBeUndefined();
  });

  it('counts the running agents of a phase that need an operator, from the snapshot and agent events', () => {
    const p = new RunProgress();
    p.snapshot(view([task('a', { state: 'running', nodeId: 'n', startedAt: 2000, agent: { state: 'menu', since: 2100 } }), task('b', { state: 'running', nodeId: 'n', startedAt: 2000 })]), 3000);
    expect(p.phases(3000)[0]!.needsYou).toBe(1);
    p.event({ type: 'agent', runId: 'run-1', taskId: 'b', attempt: 1, state: 'waiting-for-input', since: 3100, at: 3200 });
    expect(p.phases(3300)[0]!.needsYou).toBe(2);
    p.event({ type: 'agent', runId: 'run-1', taskId: 'a', attempt: 1, state: 'working', since: 3400, at: 3500 });
    p.event({ type: 'task', runId: 'run-1', taskId: 'b', phaseId: 'p1', state: 'succeeded', attempt: 1, at: 3600 });
    expect(p.phases(3700)[0]!.needsYou).toBe(0);
    expect(phaseBars([{ ...p.phases(3700)[0]!, state: 'running', needsYou: 1 }], 80)[0]).toMatch(/\(1 running, 1 needs you\)$/);
  });
});

describe('phaseBars', () => {
  it('draws one line per phase within the width, with done/total, elapsed and ETA', () => {
    const lines = phaseBars(
      [
        { id: 'gather', state: 'running', total: 4, done: 1, running: 2, failed: 0, elapsedMs: 65_000, etaMs: 30_000 },
        { id: 'a-very-long-phase-name-indeed', state: 'succeeded', total: 2, done: 2, running: 0, failed: 0, elapsedMs: 5000 },
        { id: 'ship', state: 'pending', total: 1, done: 0, running: 0, failed: 0, elapsedMs: 0 },
      ],
      60,
    );
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60);
    expect(lines[0]).toMatch(/^gather .*\[#+\.+\]\s+1\/4 1m05s ETA 30s \(2 running\)$/);
    expect(lines[1]).toMatch(/succeeded in 5s$/);
    expect(lines[2]).toMatch(/0\/1 waiting$/);
  });

  it('keeps to the lines it is given: the window starts before the first open phase and says what is left out', () => {
    const phases = Array.from({ length: 30 }, (_, i) => ({
      id: `p${i}`,
      state: (i < 12 ? 'succeeded' : i === 12 ? 'running' : 'pending') as 'succeeded' | 'running' | 'pending',
      total: 1,
      done: i < 12 ? 1 : 0,
      running: i === 12 ? 1 : 0,
      failed: 0,
      elapsedMs: 1000,
    }));
    const lines = fittedPhaseBars(phases, 60, 6);
    expect(lines).toHaveLength(6);
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['p11', 'p12', 'p13', 'p14', 'p15', '…']);
    expect(lines[5]).toBe('… 25 more phases (12/30 succeeded)');
    expect(fittedPhaseBars(phases.slice(0, 3), 60, 6)).toHaveLength(3);
  });
});

describe('followLine', () => {
  it('gives agent states a line only when they need an operator', async () => {
    const { followLine } = await import('./lines.js');
    const agent = (state: 'working' | 'menu') => ({ type: 'agent' as const, runId: 'r', taskId: 'a', attempt: 1, state, since: 0, at: 2500 });
    expect(followLine(agent('working'), 0)).toBeUndefined();
    expect(followLine(agent('menu'), 0)).toBe('   +2.50s   task a#1 agent menu');
  });
});
