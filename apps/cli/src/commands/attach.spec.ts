import type { RunView } from '@shoal/protocol';
import { attachTarget, shellWords } from './attach.js';

const run = (task: Partial<RunView['tasks'][number]>): RunView => ({
  id: 'r-1',
  plan: 'p',
  state: 'running',
  submittedAt: 0,
  phases: [],
  tasks: [{ id: 'lead', phaseId: 'a', team: 'fe', role: 'Lead', state: 'running', attempt: 1, maxAttempts: 1, ...task }],
});

describe('shoal attach', () => {
  it('builds the attach argv of the node that runs the task', () => {
    const t = attachTarget(run({ nodeId: 'n1', tmux: { socket: 'shoal-n1', session: 'Task-fe', window: 'Lead' } }), 'lead', [{ id: 'n1', hostname: 'box' }]);
    expect(t).toEqual({ nodeId: 'n1', host: 'box', argv: ['tmux', '-L', 'shoal-n1', 'attach', '-t', 'Task-fe:Lead'] });
    expect(shellWords(t.argv)).toBe('tmux -L shoal-n1 attach -t Task-fe:Lead');
  });

  it('refuses a task that is not running or unknown', () => {
    expect(() => attachTarget(run({ state: 'queued' }), 'lead', [])).toThrow(/queued: there is no window/);
    expect(() => attachTarget(run({}), 'nope', [])).toThrow(/no task nope/);
  });

  it('quotes words a shell would split or expand', () => {
    expect(shellWords(['tmux', '-t', "it's $HOME"])).toBe(`tmux -t 'it'\\''s $HOME'`);
  });
});
