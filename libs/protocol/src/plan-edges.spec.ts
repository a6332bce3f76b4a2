/**
 * Plan validation edges that mutation testing showed unobserved (issue 15): every name of the
 * env denylist, the exact wording of an invalid-key problem, and the depth limits at their edge.
 */
import type { FieldIssue } from './errors.js';
import { type Result, parsePlanText, validatePlanObject } from './plan-loader.js';

type Obj = Record<string, any>;
const T = 'phases[0].tasks[0]';

function withTask(patch: Obj): Obj {
  return { name: 'demo', teams: [{ name: 'fe' }], phases: [{ id: 'one', tasks: [{ id: 'build', team: 'fe', role: 'Frontend-Dev', command: ['npm', 'test'], ...patch }] }] };
}
function issuesOf<T>(r: Result<T>): FieldIssue[] {
  if (r.ok) throw new Error(`expected the plan to be refused, got ${JSON.stringify(r.value)}`);
  return r.issues;
}

/** The denylist, spelled out here on purpose: a name dropped from the code must fail this test. */
const DENIED = ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'BASH_ENV', 'ENV', 'NODE_OPTIONS', 'PYTHONSTARTUP', 'PROMPT_COMMAND'];
const DENIED_MESSAGE = `must not be one of ${DENIED.join(', ')}`;

describe('plan env: the full denylist', () => {
  it.each(DENIED)('refuses %s, naming the whole denylist', (name) => {
    expect(issuesOf(validatePlanObject(withTask({ env: { SAFE: '1', [name]: 'x' } })))).toEqual([
      { path: `${T}.env.${name}`, message: `invalid key "${name}": ${DENIED_MESSAGE}` },
    ]);
  });

  it.each(['LD_PRELOADX', 'MY_ENV', 'ENV_FILE', 'NODE_OPTIONS_EXTRA', 'PATH'])('accepts %s (only exact names are denied)', (name) => {
    expect(validatePlanObject(withTask({ env: { [name]: 'x' } })).ok).toBe(true);
  });
});

describe('plan env: the invalid-key problem names the key and the rule', () => {
  it.each(['lower', '1ABC', 'A-B'])('names %p in the message', (name) => {
    expect(issuesOf(validatePlanObject(withTask({ env: { [name]: 'x' } })))).toEqual([
      { path: `${T}.env.${name}`, message: `invalid key "${name}": env names must match ^[A-Z_][A-Z0-9_]*$` },
    ]);
  });

  it('a label key is named the same way', () => {
    const [issue] = issuesOf(validatePlanObject(withTask({ labels: { Bad: 'x' } })));
    expect(issue).toEqual({ path: `${T}.labels.Bad`, message: expect.stringMatching(/^invalid key "Bad": label keys must match /) });
  });
});

describe('plan nesting: the depth limits at exactly their edge', () => {
  const nested = (levels: number): unknown => {
    let v: unknown = 'x';
    for (let i = 0; i < levels; i++) v = { k: v };
    return v;
  };

  it('32 levels of objects pass the depth check (only the schema objects), 33 are refused', () => {
    const at = issuesOf(validatePlanObject({ ...withTask({}), description: nested(32) }));
    expect(at).toEqual([{ path: 'description', message: 'Invalid input: expected string, received object' }]);
    const over = issuesOf(validatePlanObject({ ...withTask({}), description: nested(33) }));
    expect(over).toEqual([{ path: `description${'.k'.repeat(32)}`, message: 'nested deeper than 32 levels' }]);
  });

  it('arrays count as levels too', () => {
    let v: unknown = 'x';
    for (let i = 0; i < 33; i++) v = [v];
    expect(issuesOf(validatePlanObject({ ...withTask({}), description: v }))).toEqual([{ path: `description${'[0]'.repeat(32)}`, message: 'nested deeper than 32 levels' }]);
  });

  it('plan text: 64 brackets deep reaches the parser (and the exact check), 65 are refused before it', () => {
    const text = (n: number) => `{"a":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    expect(issuesOf(parsePlanText(text(64)))).toEqual([{ path: `a${'[0]'.repeat(32)}`, message: 'nested deeper than 32 levels' }]);
    expect(issuesOf(parsePlanText(text(65)))).toEqual([{ path: '', message: 'nested deeper than 32 levels' }]);
  });

  it('plan text: closing brackets bring the depth down, so long flat lists of lists pass', () => {
    const many = `{"name":"demo","teams":[{"name":"fe"}],"phases":[{"id":"one","tasks":[{"id":"build","team":"fe","role":"R","command":["x"]}]}],"description":"d","x":[${'[1],'.repeat(100)}[]]}`;
    expect(issuesOf(parsePlanText(many))).toEqual([{ path: '', message: 'unknown field(s): x' }]);
  });
});
