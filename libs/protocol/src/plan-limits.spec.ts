import { stringify } from 'yaml';
import type { FieldIssue } from './errors.js';
import { DEFAULT_PLAN_LIMITS } from './plan.js';
import { MAX_ISSUES, type Result, capIssues, duplicateKey, parsePlanText, validatePlanObject } from './plan-loader.js';

type Obj = Record<string, any>;

function bigPlan(n: number, bad = false): Obj {
  const tasks = Array.from({ length: n }, (_, i) =>
    bad ? { id: `T_${i}`, team: 'a', role: `r${i}`, command: ['true'], resources: { memory: 1 } } : { id: `t${i}`, team: 'a', role: `r${i}`, command: ['true'] },
  );
  return { name: 'big', teams: [{ name: 'a' }], phases: [{ id: 'p', tasks }] };
}

function issuesOf<T>(r: Result<T>): FieldIssue[] {
  if (r.ok) throw new Error('expected the plan to be refused');
  return r.issues;
}

describe('plan validation cost is bounded', () => {
  it('refuses a plan over the task limit with one issue, before the schema walks its tasks', () => {
    // every task is broken too: a schema walk would list 20,000 problems
    for (const p of [bigPlan(10_000), bigPlan(10_000, true)]) {
      expect(issuesOf(validatePlanObject(p))).toEqual([{ path: 'phases', message: `at most ${DEFAULT_PLAN_LIMITS.maxTasks} tasks in all` }]);
      expect(issuesOf(parsePlanText(JSON.stringify(p)))).toEqual([{ path: 'phases', message: `at most ${DEFAULT_PLAN_LIMITS.maxTasks} tasks in all` }]);
    }
  });

  it('refuses too many phases before looking at their tasks', () => {
    const p = { name: 'x', teams: [{ name: 'a' }], phases: Array.from({ length: 501 }, (_, i) => ({ id: `P_${i}`, tasks: [] })) };
    expect(issuesOf(validatePlanObject(p))).toEqual([{ path: 'phases', message: 'at most 500 phases' }]);
  });

  it(`lists at most ${MAX_ISSUES} problems and says how many more there are`, () => {
    const issues = issuesOf(validatePlanObject(bigPlan(2000, true)));
    expect(issues).toHaveLength(MAX_ISSUES + 1);
    expect(issues[0]).toEqual({ path: 'phases[0].tasks[0].id', message: expect.any(String) });
    expect(issues[MAX_ISSUES]).toEqual({ path: '', message: `and ${4000 - MAX_ISSUES} more problem(s): only the first ${MAX_ISSUES} are listed` });
    expect(JSON.stringify(issues).length).toBeLessThan(16_000);
  });

  it('caps forbidden-key problems too, and stops looking after the cap', () => {
    const p = bigPlan(1);
    p.phases[0].tasks[0].env = JSON.parse(`{${Array.from({ length: 80 }, (_, i) => `"k${i}":{"__proto__":1}`).join(',')}}`);
    const issues = issuesOf(validatePlanObject(p));
    expect(issues).toHaveLength(MAX_ISSUES + 1);
    expect(issues[0]).toEqual({ path: 'phases[0].tasks[0].env.k0.__proto__', message: 'forbidden key' });
    expect(issues[MAX_ISSUES]!.message).toMatch(/and more problem\(s\): the check stopped after the first 50/);
  });

  it('refuses 100,000 nested brackets before a parser sees them (JSON, YAML, after a lone quote)', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (const text of [`{"a":${deep}}`, `a: ${deep}`, `a: 5"\nb: ${deep}`]) {
      expect(issuesOf(parsePlanText(text))).toEqual([{ path: '', message: 'nested deeper than 32 levels' }]);
    }
    // brackets inside JSON strings are not nesting
    expect(parsePlanText(JSON.stringify({ ...bigPlan(1), description: '['.repeat(100) })).ok).toBe(true);
  });

  it('cuts an overlong message', () => {
    const [one] = capIssues([{ path: 'x', message: 'y'.repeat(5000) }]);
    expect(one!.message).toHaveLength(501);
    expect(capIssues([{ path: 'x', message: 'short' }])).toEqual([{ path: 'x', message: 'short' }]);
  });
});

describe('JSON plans take the fast path with the same answers', () => {
  it('reads a JSON plan exactly like its YAML form', () => {
    const p = bigPlan(300);
    const fromJson = parsePlanText(JSON.stringify(p, null, 2));
    expect(fromJson.ok).toBe(true);
    expect(fromJson).toEqual(parsePlanText(stringify(p)));
    expect(issuesOf(parsePlanText(JSON.stringify(bigPlan(3, true))))).toEqual(issuesOf(parsePlanText(stringify(bigPlan(3, true)))));
  });

  it('refuses duplicate keys, naming the path', () => {
    const text = '{"name":"x","teams":[{"name":"a"}],"phases":[{"id":"p","tasks":[{"id":"t","team":"a","role":"r","command":["true"],"id":"u"}]}]}';
    expect(issuesOf(parsePlanText(text))).toEqual([{ path: 'phases[0].tasks[0].id', message: 'not valid YAML or JSON: duplicate key "id"' }]);
    expect(issuesOf(parsePlanText(' \n{"name":"x","na\\u006de":"y"}'))).toEqual([{ path: 'name', message: 'not valid YAML or JSON: duplicate key "name"' }]);
  });

  it('is not fooled by quotes, braces and commas inside strings', () => {
    const text = '{"a":"x\\",\\"a\\":{","b":["}",",{",{"a":1}],"c":{"a":"\\\\"},"d":"\\\\\\""}';
    expect(duplicateKey(text)).toBeUndefined();
    expect(duplicateKey('{"a":[{"x":1,"y":2},{"x":1,"x":2}]}')).toEqual({ key: 'x', path: 'a[1].x' });
  });

  it('leaves text that is not JSON to the YAML parser and its messages', () => {
    expect(issuesOf(parsePlanText('{"name": "x",'))[0]!.message).toMatch(/^not valid YAML or JSON/);
    expect(parsePlanText('name: x\nname: y\n').ok).toBe(false);
  });
});
