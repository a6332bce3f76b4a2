/**
 * The plan loader's own readers, where mutation testing found them unpinned (issue 15): the YAML
 * error wording, the JSON duplicate-key scan (values are not keys, array positions in paths) and
 * the forbidden-key walk at exactly its cap.
 */
import type { FieldIssue } from './errors.js';
import { MAX_ISSUES, type Result, parsePlanText, validatePlanObject } from './plan-loader.js';
import { DEFAULT_PLAN_LIMITS } from './plan.js';

type Obj = Record<string, any>;
const task = (id: string, extra: Obj = {}): Obj => ({ id, team: 'fe', role: 'R', command: ['true'], ...extra });
const plan = (tasks: Obj[] = [task('build')], top: Obj = {}): Obj => ({ name: 'demo', teams: [{ name: 'fe' }], phases: [{ id: 'one', tasks }], ...top });
function issuesOf<T>(r: Result<T>): FieldIssue[] {
  if (r.ok) throw new Error(`expected the plan to be refused, got ${JSON.stringify(r.value)}`);
  return r.issues;
}

describe('YAML errors: the parser sentence only, without its position and code frame', () => {
  it.each([
    ['name: a\nname: b\n', 'Map keys must be unique'],
    ['key: "unterminated', 'Missing closing "quote'],
  ])('%p', (text, sentence) => {
    expect(issuesOf(parsePlanText(text))).toEqual([{ path: '', message: `not valid YAML or JSON: ${sentence}` }]);
  });
});

describe('JSON plans: the duplicate-key scan', () => {
  it('reads string values as values, not keys: fields that repeat a value, or name another key, are fine', () => {
    const p = plan([task('fe')], { teams: [{ name: 'fe', description: 'fe' }], description: 'name' });
    const read = parsePlanText(JSON.stringify(p));
    expect(read.ok).toBe(true);
    expect(read).toEqual(validatePlanObject(p));
  });

  it('names the array position of a duplicate past the first element', () => {
    const text = JSON.stringify(plan([task('a'), task('b'), task('c')])).replace('"id":"c"', '"id":"c","id":"d"');
    expect(issuesOf(parsePlanText(text))).toEqual([{ path: 'phases[0].tasks[2].id', message: 'not valid YAML or JSON: duplicate key "id"' }]);
  });
});

describe('forbidden keys: exactly the cap', () => {
  const withForbidden = (n: number) => {
    const p = plan();
    p.phases[0].tasks[0].env = JSON.parse(`{${Array.from({ length: n }, (_, i) => `"K${i}":{"__proto__":1}`).join(',')}}`);
    return p;
  };

  it(`${MAX_ISSUES} forbidden keys are all listed, with no "and more" line`, () => {
    const issues = issuesOf(validatePlanObject(withForbidden(MAX_ISSUES)));
    expect(issues).toHaveLength(MAX_ISSUES);
    expect(issues.every((i) => i.message === 'forbidden key')).toBe(true);
  });

  it('walks each value once: a forbidden key under a field named "undefined" is reported once', () => {
    const p = plan([task('build', { env: JSON.parse('{"undefined":{"__proto__":1}}') })]);
    expect(issuesOf(validatePlanObject(p))).toEqual([{ path: 'phases[0].tasks[0].env.undefined.__proto__', message: 'forbidden key' }]);
  });

  it(`${MAX_ISSUES + 1} get the "and more" line after the first ${MAX_ISSUES}`, () => {
    const issues = issuesOf(validatePlanObject(withForbidden(MAX_ISSUES + 1)));
    expect(issues).toHaveLength(MAX_ISSUES + 1);
    expect(issues[MAX_ISSUES]).toEqual({ path: '', message: `and more problem(s): the check stopped after the first ${MAX_ISSUES}` });
  });
});

describe('task count: exactly the limit is accepted', () => {
  it('maxTasks tasks pass the count check, one more is refused', () => {
    const limits = { ...DEFAULT_PLAN_LIMITS, maxTasks: 3 };
    expect(validatePlanObject(plan([task('a'), task('b'), task('c')]), limits).ok).toBe(true);
    expect(issuesOf(validatePlanObject(plan([task('a'), task('b'), task('c'), task('d')]), limits))).toEqual([{ path: 'phases', message: 'at most 3 tasks in all' }]);
  });
});
