import type { AgentStatus, TaskDispatched, TaskOutcome } from '@shoal/protocol';
import { waitFor } from '@shoal/testing';
import { DoneWhenIdle, type IdleAttempt } from './done-when-watch.js';

const task = (over: Partial<TaskDispatched> = {}) => ({ runId: 'r', taskId: 't', attempt: 1, agent: 'claude', prompt: 'go', doneWhen: 'idle', ...over }) as TaskDispatched;

class FakeAttempt implements IdleAttempt {
  readonly key = 'r/t';
  readonly paneId = '%3';
  state = 'running';
  stopped?: { outcome: TaskOutcome; reason: string };
  constructor(readonly task: TaskDispatched) {}
  async stop(outcome: TaskOutcome, reason: string): Promise<void> {
    this.state = 'stopping';
    this.stopped = { outcome, reason };
  }
}

function setup(t = task()) {
  const clock = { t: 1_000 };
  let status: AgentStatus | undefined;
  const attempt = new FakeAttempt(t);
  const keys: string[][] = [];
  const notes: string[] = [];
  const current: { a: IdleAttempt | undefined } = { a: attempt };
  const watch = new DoneWhenIdle({
    status: () => status,
    screenChangedAt: () => status?.since,
    find: () => current.a,
    tmux: () => ({ capturePane: async () => '❯ \nanswer: done', sendKeys: async (_p: string, k: readonly string[]) => void keys.push([...k]) }),
    note: (_t, text) => void notes.push(text),
    warn: (m) => void notes.push(`warn ${m}`),
    now: () => clock.t,
    pollMs: 2,
  });
  return { clock, attempt, keys, notes, current, watch, set: (s: AgentStatus) => (status = s) };
}

describe('done_when: idle watch', () => {
  it('stops the agent as succeeded once idle after its turn: final screen kept, reason noted, the second Ctrl-C sent', async () => {
    const s = setup();
    s.watch.watch(s.attempt, 1_000);
    s.set({ state: 'waiting-for-input', since: 4_000 });
    s.clock.t = 4_000 + 6_000;
    await waitFor(() => s.attempt.stopped, { what: 'the attempt stopped' });
    expect(s.attempt.stopped).toEqual({ outcome: 'succeeded', reason: 'done: agent idle at its prompt for 6 s after its turn' });
    expect(s.notes).toEqual(['done: agent idle at its prompt for 6 s after its turn']);
    expect(s.watch.finalScreen(s.attempt)).toBe('❯ \nanswer: done');
    await waitFor(() => s.keys.length === 1, { what: 'the rest of the exit keys' });
    expect(s.keys).toEqual([['C-c']]);
  });

  it('does not watch a done_when: exit task, and leaves an attempt that was replaced (restart) alone', async () => {
    const exit = setup(task({ doneWhen: 'exit' }));
    exit.watch.watch(exit.attempt, 1_000);
    exit.set({ state: 'waiting-for-input', since: 2_000 });
    exit.clock.t = 60_000;
    const replaced = setup();
    replaced.watch.watch(replaced.attempt, 1_000);
    replaced.current.a = new FakeAttempt(task());
    replaced.set({ state: 'waiting-for-input', since: 2_000 });
    replaced.clock.t = 60_000;
    // an idle agent in a watched attempt ends within a few polls: use one as the yardstick
    const control = setup();
    control.watch.watch(control.attempt, 1_000);
    control.set({ state: 'waiting-for-input', since: 2_000 });
    control.clock.t = 60_000;
    await waitFor(() => control.attempt.stopped, { what: 'the control attempt stopped' });
    await waitFor(() => control.keys.length === 1, { what: 'the control attempt got its exit keys' });
    expect(exit.attempt.stopped).toBeUndefined();
    expect(replaced.attempt.stopped).toBeUndefined();
    expect(exit.watch.finalScreen(exit.attempt)).toBeUndefined();
  });
});
