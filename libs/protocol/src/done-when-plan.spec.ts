import { validatePlanObject } from './plan-loader.js';
import { copiedSpecFields } from './task-spec.js';

const plan = (task: object) => ({
  name: 'p',
  teams: [{ name: 'fe' }],
  phases: [{ id: 'a', tasks: [{ id: 't', team: 'fe', role: 'R', command: ['x'], ...task }] }],
});
const issues = (task: object) => {
  const r = validatePlanObject(plan(task));
  return r.ok ? [] : r.issues;
};

describe('plan: done_when', () => {
  it('accepts exit anywhere and idle on an interactive task with a prompt; copies it into the task spec', () => {
    expect(issues({ done_when: 'exit' })).toEqual([]);
    expect(issues({ agent: 'claude', prompt: 'do it', done_when: 'idle' })).toEqual([]);
    expect(issues({ interactive: true, prompt: 'do it', done_when: 'idle', on_waiting: 'notify' })).toEqual([]);
    const r = validatePlanObject(plan({ agent: 'codex', prompt: 'do it', done_when: 'idle' }));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(copiedSpecFields(r.value.phases[0]!.tasks[0]!)).toMatchObject({ agent: 'codex', prompt: 'do it', doneWhen: 'idle' });
    expect(copiedSpecFields({ ...r.value.phases[0]!.tasks[0]!, done_when: undefined })).not.toHaveProperty('doneWhen');
  });

  it('refuses idle on a task that is not interactive, with a message saying why', () => {
    for (const task of [{}, { agent: 'shell' }, { agent: 'claude', interactive: false }]) {
      expect(issues({ ...task, prompt: 'do it', done_when: 'idle' })).toEqual([
        { path: 'phases[0].tasks[0].done_when', message: expect.stringMatching(/^idle needs an interactive agent task \(agent: claude, .* or interactive: true\)/) },
      ]);
    }
  });

  it('refuses idle without a prompt, and together with on_waiting: checkin', () => {
    expect(issues({ agent: 'claude', done_when: 'idle' })).toEqual([{ path: 'phases[0].tasks[0].done_when', message: expect.stringMatching(/^idle needs a prompt/) }]);
    expect(issues({ agent: 'claude', prompt: 'p', done_when: 'idle', on_waiting: 'checkin' })).toEqual([{ path: 'phases[0].tasks[0].on_waiting', message: expect.stringMatching(/^checkin contradicts done_when: idle/) }]);
  });

  it('refuses an unknown value', () => {
    expect(issues({ agent: 'claude', prompt: 'p', done_when: 'quiet' }).map((i) => i.path)).toEqual(['phases[0].tasks[0].done_when']);
  });
});
