/**
 * The plan loader's limits at exactly their edge, and the text pre-check's corner cases
 * (issue 15: a `>` turned `>=`, or a skipped escape, must fail a test).
 */
import type { FieldIssue } from './errors.js';
import { MAX_ISSUES, MAX_PLAN_BYTES, type Result, capIssues, parsePlanText, validatePlanObject } from './plan-loader.js';
import { DEFAULT_PLAN_LIMITS } from './plan.js';

type Obj = Record<string, any>;
const plan = (top: Obj = {}): Obj => ({
  name: 'demo',
  teams: [{ name: 'fe' }],
  phases: [{ id: 'one', tasks: [{ id: 'build', team: 'fe', role: 'R', command: ['true'] }] }],
  ...top,
});
function issuesOf<T>(r: Result<T>): FieldIssue[] {
  if (r.ok) throw new Error(`expected the plan to be refused, got ${JSON.stringify(r.value)}`);
  return r.issues;
}
const DEEP = [{ path: '', message: 'nested deeper than 32 levels' }];

describe('plan size: exactly the limit is accepted', () => {
  it(`a JSON plan of exactly ${MAX_PLAN_BYTES} bytes is read, one more byte is refused`, () => {
    const json = JSON.stringify(plan());
    const exact = json + ' '.repeat(MAX_PLAN_BYTES - json.length);
    expect(Buffer.byteLength(exact)).toBe(MAX_PLAN_BYTES);
    expect(parsePlanText(exact).ok).toBe(true);
    expect(issuesOf(parsePlanText(`${exact} `))).toEqual([{ path: '', message: `plan is larger than ${MAX_PLAN_BYTES} bytes` }]);
  });
});

describe('plan counts: exactly the limit is accepted', () => {
  it('500 phases pass the count check', () => {
    const phases = Array.from({ length: 500 }, (_, i) => ({ id: `p${i}`, tasks: [{ id: `t${i}`, team: 'fe', role: 'R', command: ['true'] }] }));
    expect(validatePlanObject(plan({ phases })).ok).toBe(true);
  });
});

describe('problem lists: exactly the cap', () => {
  it(`${MAX_ISSUES} problems are listed without an "and more" line, ${MAX_ISSUES + 1} get one`, () => {
    const issues = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `p${i}`, message: 'bad' }));
    expect(capIssues(issues(MAX_ISSUES))).toEqual(issues(MAX_ISSUES));
    expect(capIssues(issues(MAX_ISSUES + 1))).toEqual([...issues(MAX_ISSUES), { path: '', message: `and 1 more problem(s): only the first ${MAX_ISSUES} are listed` }]);
  });

  it('a message of exactly 500 characters is kept whole, 501 are cut to 500 and an ellipsis', () => {
    expect(capIssues([{ path: 'x', message: 'y'.repeat(500) }])).toEqual([{ path: 'x', message: 'y'.repeat(500) }]);
    expect(capIssues([{ path: 'x', message: 'y'.repeat(501) }])).toEqual([{ path: 'x', message: `${'y'.repeat(500)}…` }]);
    const many = Array.from({ length: MAX_ISSUES + 2 }, (_, i) => ({ path: `p${i}`, message: 'y'.repeat(499 + (i % 3)) }));
    const capped = capIssues(many);
    expect(capped.slice(0, 3).map((i) => i.message.length)).toEqual([499, 500, 501]);
    expect(capped[2]!.message.endsWith('…')).toBe(true);
  });

  it(`a plan with exactly ${MAX_ISSUES} schema problems lists them all and nothing more`, () => {
    const tasks = Array.from({ length: MAX_ISSUES }, (_, i) => ({ id: `t${i}`, team: 'fe', role: 'R', command: ['true'], priority: 5000 }));
    const issues = issuesOf(validatePlanObject(plan({ phases: [{ id: 'one', tasks }] })));
    expect(issues).toHaveLength(MAX_ISSUES);
    expect(issues.every((i) => /^phases\[0\]\.tasks\[\d+\]\.priority$/.test(i.path))).toBe(true);
  });
});

describe('the text pre-check of nesting', () => {
  it('an escaped quote inside a JSON string does not end it: the brackets after it are text', () => {
    const text = JSON.stringify(plan({ description: `say \\"${'['.repeat(100)}` }));
    expect(parsePlanText(text).ok).toBe(true);
  });

  it('in YAML, closing brackets before any opening one do not make room for deeper nesting', () => {
    const text = `name: demo\nb: "${']'.repeat(100)}"\na: ${'['.repeat(65)}${']'.repeat(65)}\n`;
    expect(issuesOf(parsePlanText(text))).toEqual(DEEP);
  });

  it('YAML that merely contains a brace later is not read as JSON: a lone quote does not hide what follows', () => {
    const text = `name: demo\na: 5"\nb: {c: ${'['.repeat(70)}${']'.repeat(70)}}\n`;
    expect(issuesOf(parsePlanText(text))).toEqual(DEEP);
  });

  it('an alias bomb is refused as an unusable document, naming the alias limit', () => {
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]'].join('\n');
    expect(issuesOf(parsePlanText(bomb))).toEqual([{ path: '', message: expect.stringMatching(/^not a usable plan document: .*alias/i) }]);
  });

  it('a YAML syntax error is worded on one line', () => {
    const [issue] = issuesOf(parsePlanText('name: [unclosed'));
    expect(issue!.path).toBe('');
    expect(issue!.message).toMatch(/^not valid YAML or JSON: \S/);
    expect(issue!.message).not.toContain('\n');
  });
});

describe('plan loader messages (plan-loader.ts survivors, lines 66-130)', () => {
  const TASK = '{id: a, team: t, role: R, command: ["true"]}';

  it('lists every unknown field, comma separated', () => {
    expect(parsePlanText(`name: x\nteams: [{name: t}]\nbogus: 1\nalso: 2\nphases: [{id: p, tasks: [${TASK}]}]\n`)).toEqual({ ok: false, issues: [{ path: '', message: 'unknown field(s): bogus, also' }] });
  });

  it('says a missing field is required, with its type, not zod\'s wording', () => {
    expect(parsePlanText(`teams: [{name: t}]\nphases: [{id: p, tasks: [${TASK}]}]\n`)).toEqual({ ok: false, issues: [{ path: 'name', message: 'is required (string)' }] });
  });

  it('counts tasks past a null phase without reading it (the count check runs before the schema)', () => {
    const r = parsePlanText(`name: x\nteams: [{name: t}]\nphases: [null, {id: p, tasks: [${TASK}]}]\n`);
    expect(r).toEqual({ ok: false, issues: [{ path: 'phases[0]', message: expect.stringMatching(/expected object, received null/) }] });
    const tooMany = parsePlanText(`name: x\nteams: [{name: t}]\nphases: [null, {id: p, tasks: [${TASK}, ${TASK.replace('id: a', 'id: b')}]}]\n`, { ...DEFAULT_PLAN_LIMITS, maxTasks: 1 });
    expect(tooMany).toEqual({ ok: false, issues: [{ path: 'phases', message: 'at most 1 tasks in all' }] });
  });
});
