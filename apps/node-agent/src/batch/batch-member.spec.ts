/**
 * A batch member as an attempt: in an interactive session its "exit" is the end of its turn, the
 * agent's group is shared (never released by a member, its verdict counted only once the agent
 * died), a stop during the turn tells the session; a waiting member's stop leaves the queue.
 * Also the journal of the members a node took.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import type { TaskDispatched, TaskFinished } from '@shoal/protocol';
import type { GovernedTask } from '../governor/index.js';
import type { AttemptDeps } from '../task-attempt.js';
import type { TmuxDriver } from '../tmux/index.js';
import type { WindowKeeper } from '../window-keeper.js';
import { BatchJournal } from './batch-journal.js';
import { BatchMember, QueuedMember } from './batch-member.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'batch-member-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const task = (taskId: string, attempt = 1): TaskDispatched =>
  ({ v: 1, kind: 'task.dispatched', runId: 'r1', taskId, attempt, phaseId: 'p', nodeId: 'n1', dispatchedAt: 0, team: 'fe', role: 'Agent', command: ['agent'], cpuPercent: 50, memoryMb: 256, priority: 0, batch: 'b', interactive: true, prompt: 'go' }) as TaskDispatched;

function fakes() {
  const calls: string[] = [];
  const tmux = {
    waitForExit: () => new Promise(() => undefined), // the agent never dies in these tests
    sendKeys: async (pane: string, keys: string[]) => void calls.push(`keys ${pane} ${keys.join(' ')}`),
  } as unknown as TmuxDriver;
  const group: GovernedTask = {
    taskKey: 'g',
    wrapArgv: (a) => ['enter', ...a],
    attach: () => void calls.push('attach'),
    usage: async () => ({ cpuPercent: 5, rssMb: 140 }),
    verdict: async () => 'memory-limit-exceeded',
    setCpu: async () => undefined,
    resize: async () => undefined,
    kill: async () => void calls.push('kill'),
    release: async () => void calls.push('release'),
  };
  const log = join(dir, 'session.log');
  writeFileSync(log, 'startup\nanswer: go\n');
  const deps = (t: TaskDispatched): AttemptDeps => ({
    tmux,
    governed: group,
    window: { session: 'Task-fe', window: 'Agent', argv: t.command, logFile: log },
    nodeId: 'n1',
    stopGraceMs: 10,
    span: trace.getTracer('test').startSpan('member'),
    output: () => undefined,
    now: () => 1000,
    windows: {} as WindowKeeper,
  });
  return { calls, deps };
}

const win = { windowId: '@1', paneId: '%1', pid: 42, startedAt: 1000, warm: false };

describe('BatchMember (interactive)', () => {
  it('ends succeeded when its turn ends, without releasing the shared group or taking its verdict', async () => {
    const { calls, deps } = fakes();
    const m = new BatchMember(task('a'), deps(task('a')), () => calls.push('stopping'), { agentDead: () => false });
    m.adopt(win, 0);
    expect(m.state).toBe('running');
    expect(await m.governed.usage()).toEqual({ cpuPercent: 5, rssMb: 140 });
    m.governed.attach(7);
    m.finishTurn({ exitCode: 0 });
    const r: TaskFinished = await m.wait();
    expect(r).toMatchObject({ taskId: 'a', attempt: 1, outcome: 'succeeded', exitCode: 0, startedAt: 1000 });
    expect(r.outputTail).toContain('answer: go');
    expect(m.verdict).toBeNull();
    expect(calls).toEqual([]); // no release, no attach, no kill
  });

  it('takes the agent exit and the group verdict when the agent died during its turn', async () => {
    const { deps } = fakes();
    const m = new BatchMember(task('a'), deps(task('a')), () => undefined, { agentDead: () => true });
    m.adopt(win, 0);
    m.finishTurn({ exitCode: null, signal: 'SIGKILL' });
    expect(await m.wait()).toMatchObject({ outcome: 'failed', reason: 'memory limit exceeded (256 MB)' });
  });

  it('a stop during its turn tells the session, interrupts the agent and kills the group after the grace', async () => {
    const { calls, deps } = fakes();
    const m = new BatchMember(task('a'), deps(task('a')), () => calls.push('stopping'), { agentDead: () => false });
    m.adopt(win, 0);
    await m.stop('cancelled', 'by operator');
    expect(calls).toEqual(['stopping', 'keys %1 C-c']);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toContain('kill');
    m.finishTurn({ exitCode: null, signal: 'SIGINT' });
    expect(await m.wait()).toMatchObject({ outcome: 'cancelled', reason: 'by operator' });
  });

  it('an on_stall restart fails the member instead of restarting the session', async () => {
    const { calls, deps } = fakes();
    const m = new BatchMember(task('a'), deps(task('a')), () => calls.push('stopping'), { agentDead: () => false });
    m.adopt(win, 0);
    await m.restart('agent stalled');
    m.finishTurn({ exitCode: null });
    expect(await m.wait()).toMatchObject({ outcome: 'failed', reason: 'agent stalled; a batch session is not restarted: the member fails' });
    expect(calls[0]).toBe('stopping');
  });
});

describe('BatchMember (plain command)', () => {
  it('is an ordinary attempt: waits for the real exit and releases its own group', async () => {
    const { calls, deps } = fakes();
    const d = deps(task('p'));
    let exit!: (e: { exitCode: number }) => void;
    (d.tmux as unknown as { waitForExit: () => Promise<unknown> }).waitForExit = () => new Promise((r) => (exit = r));
    const m = new BatchMember(task('p'), d, () => calls.push('stopping'));
    m.adopt(win, 0);
    m.finishTurn({ exitCode: 0 }); // no turn in a plain session: ignored
    const ended = m.wait();
    exit({ exitCode: 3 });
    expect(await ended).toMatchObject({ outcome: 'failed', reason: 'memory limit exceeded (256 MB)' });
    expect(calls).toContain('release');
  });
});

describe('QueuedMember', () => {
  it('a stop before its turn leaves the queue once; nothing is sent to any pane', async () => {
    const { calls, deps } = fakes();
    const stops: string[] = [];
    const q = new QueuedMember(task('w'), deps(task('w')), (outcome, reason) => stops.push(`${outcome}: ${reason}`));
    await q.stop('cancelled', 'run cancelled');
    await q.stop('cancelled', 'again');
    expect(stops).toEqual(['cancelled: run cancelled']);
    expect(calls).toEqual([]);
  });
});

describe('BatchJournal', () => {
  it('reports lost, once, the members taken and not finished; forgets the finished ones', async () => {
    const j = new BatchJournal(dir);
    j.add(task('a'));
    j.add(task('b', 2));
    j.add(task('c'));
    j.remove(task('c'));
    const reports: TaskFinished[] = [];
    expect(await new BatchJournal(dir).recover('n2', async (f) => void reports.push(f), 5000)).toBe(2);
    expect(reports.map((r) => `${r.taskId}#${r.attempt} ${r.outcome} ${r.nodeId} ${r.finishedAt}`).sort()).toEqual(['a#1 lost n2 5000', 'b#2 lost n2 5000']);
    expect(reports[0]!.reason).toMatch(/^the node-agent restarted: the session of batch b is gone$/);
    expect(readdirSync(join(dir, 'batch-members'))).toEqual([]);
    expect(await new BatchJournal(dir).recover('n2', async () => undefined, 0)).toBe(0);
  });

  it('recovers nothing when no journal was written', async () => {
    expect(await new BatchJournal(join(dir, 'none')).recover('n', async () => undefined, 0)).toBe(0);
  });
});
