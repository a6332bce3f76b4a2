/**
 * What a batch member is told when it asks for something a batch session cannot give, and that
 * interactive members compare their whole argv (not its words run together).
 */
import { validatePlanObject } from '@shoal/protocol';
import { issuesOf } from './graph.spec-support.js';
import { compilePlan } from './graph.js';

const member = (id: string, extra: Record<string, unknown> = {}) => ({ id, team: 'fe', role: 'Docs', command: ['claude'], agent: 'claude', prompt: 'x', batch: 'docs', ...extra });
const compile = (tasks: Record<string, unknown>[]) => {
  const v = validatePlanObject({ name: 'b', teams: [{ name: 'fe' }], phases: [{ id: 'p', tasks }] });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return compilePlan(v.value);
};

describe('batchIssues: what a member is told', () => {
  it('says why secrets are refused and what to do instead', () => {
    expect(issuesOf(compile([member('a', { secrets: { ANTHROPIC_API_KEY: 'anthropic' } })]))).toEqual([
      { path: 'phases[0].tasks[0].secrets', message: 'batch "docs" cannot use secrets yet: a batch session is started without them; give the key through a task without batch' },
    ]);
  });

  it("says why a home is refused (the session keeps the node's HOME)", () => {
    expect(issuesOf(compile([member('a', { home: 'shared' })]))).toEqual([
      { path: 'phases[0].tasks[0].home', message: 'batch "docs" cannot choose a home yet: a batch session keeps the node\'s HOME' },
    ]);
  });
});

describe('batchIssues: interactive members share one command, argv by argv', () => {
  it('accepts members with the same command of several words', () => {
    const command = ['claude', '--model', 'opus'];
    expect(compile([member('a', { command }), member('b', { command: [...command] })]).ok).toBe(true);
  });

  it('refuses a command whose words only run together the same', () => {
    const issues = issuesOf(compile([member('a', { command: ['claude', 'x'] }), member('b', { command: ['claudex'] })]));
    expect(issues.map((i) => i.path)).toEqual(['phases[0].tasks[1].command']);
  });
});
