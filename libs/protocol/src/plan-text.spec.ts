import { ValidationError, type FieldIssue } from './errors.js';
import { MAX_PLAN_BYTES, type Result, loadPlan, parsePlanText, validatePlanObject } from './plan-loader.js';

/** Tests of plan text: YAML/JSON parsing, its refusals, and loadPlan. Object-level rules: plan-loader.spec.ts. */

type Obj = Record<string, any>;

function issuesOf<T>(r: Result<T>): FieldIssue[] {
  if (r.ok) throw new Error(`expected the plan to be refused, got ${JSON.stringify(r.value)}`);
  return r.issues;
}

const GOOD_YAML = `
version: 1
name: hybrid
teams:
  - name: fe
  - name: be
    checkin: 15m
phases:
  - id: one
    tasks:
      - id: a
        team: fe
        role: Frontend-Dev
        command: [sh, -c, "echo a"]
        timeout: 90s
        retries: 2
        resources: { cpu: 25, memory: 256 }
        env: { MODE: test }
        cwd: /tmp
  - id: two
    depends_on: [one]
    failure_policy: continue
    tasks:
      - id: b
        team: be
        role: Backend-Dev
        command: ["true"]
        timeout: 30
`;

describe('parsePlanText', () => {
  it('parses a good YAML plan with durations in milliseconds', () => {
    const r = parsePlanText(GOOD_YAML);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.value.teams[1]!.checkin).toBe(15 * 60_000);
    const [a] = r.value.phases[0]!.tasks;
    expect(a).toMatchObject({ id: 'a', command: ['sh', '-c', 'echo a'], timeout: 90_000, retries: 2, resources: { cpu: 25, memory: 256 }, env: { MODE: 'test' } });
    expect(r.value.phases[1]).toMatchObject({ depends_on: ['one'], failure_policy: 'continue' });
    expect(r.value.phases[1]!.tasks[0]!.timeout).toBe(30_000);
  });

  it('parses the same plan written as JSON to the same value', () => {
    const yamlPlan = loadPlan(GOOD_YAML);
    const json = JSON.stringify({ ...yamlPlan, teams: [{ name: 'fe' }, { name: 'be', checkin: '15m' }], phases: yamlPlan.phases.map((p) => ({ ...p, tasks: p.tasks.map((t) => ({ ...t, timeout: `${t.timeout! / 1000}s` })) })) });
    expect(loadPlan(json)).toEqual(yamlPlan);
  });

  it('reports field paths from YAML text', () => {
    const bad = GOOD_YAML.replace('memory: 256', 'memory: 1024').replace('retries: 2', 'retries: 20');
    expect(issuesOf(parsePlanText(bad))).toEqual([
      { path: 'phases[0].tasks[0].resources.memory', message: 'must be between 256 and 768 MB' },
      { path: 'phases[0].tasks[0].retries', message: 'must be at most 10' },
    ]);
  });

  it('refuses duplicate YAML keys and duplicate JSON keys', () => {
    expect(issuesOf(parsePlanText('name: a\nname: b\n'))).toEqual([{ path: '', message: expect.stringMatching(/not valid YAML or JSON: .*unique/) }]);
    expect(issuesOf(parsePlanText('{"name":"a","teams":[],"name":"b"}'))[0]!.message).toMatch(/not valid YAML or JSON/);
  });

  it('refuses a __proto__ key in YAML and in JSON without polluting prototypes', () => {
    expect(issuesOf(parsePlanText(GOOD_YAML + '__proto__:\n  polluted: true\n'))).toEqual([{ path: '__proto__', message: 'forbidden key' }]);
    expect(issuesOf(parsePlanText('{"__proto__": {"polluted": true}, "name": "x"}'))).toContainEqual({ path: '__proto__', message: 'forbidden key' });
    expect(({} as Obj).polluted).toBeUndefined();
  });

  it('refuses nesting too deep in YAML text', () => {
    const text = `name: x\ndescription: ${'['.repeat(50)}${']'.repeat(50)}\n`;
    expect(issuesOf(parsePlanText(text))).toContainEqual({ path: expect.stringMatching(/^description/), message: 'nested deeper than 32 levels' });
  });

  it('does not throw on pathological nesting', () => {
    const text = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    expect(parsePlanText(text).ok).toBe(false);
  });

  it('refuses an alias bomb (billion laughs) without throwing', () => {
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]'].join('\n');
    expect(issuesOf(parsePlanText(bomb))).toEqual([{ path: '', message: expect.stringMatching(/alias/i) }]);
  });

  it('refuses oversized text before parsing it', () => {
    const text = `name: x\ndescription: "${'y'.repeat(MAX_PLAN_BYTES)}"\n`;
    expect(issuesOf(parsePlanText(text))).toEqual([{ path: '', message: `plan is larger than ${MAX_PLAN_BYTES} bytes` }]);
  });

  it.each([['{{{'], ['name: [unclosed'], ['a: 1\n---\nb: 2'], ['key: "unterminated'], ['\t- bad tab indent\n  x: : y']])('refuses text that is not YAML at all: %p', (text) => {
    const issues = issuesOf(parsePlanText(text));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.path === '')).toBe(true);
    expect(issues[0]!.message).toMatch(/not valid YAML or JSON/);
  });

  it.each([[''], ['just words'], ['- a\n- b'], ['42']])('refuses a document that is not a mapping: %p', (text) => {
    expect(issuesOf(parsePlanText(text))).toEqual([{ path: '', message: expect.stringMatching(/must be a mapping/) }]);
  });

  it('refuses an unsupported version from text', () => {
    expect(issuesOf(parsePlanText(GOOD_YAML.replace('version: 1', 'version: 2')))).toEqual([{ path: 'version', message: 'unsupported plan version: only 1 is supported' }]);
  });
});

describe('loadPlan', () => {
  it('returns the plan or throws a ValidationError listing every issue', () => {
    expect(loadPlan(GOOD_YAML).name).toBe('hybrid');
    const bad = GOOD_YAML.replace('command: ["true"]', 'command: []').replace('name: hybrid', 'name: Hybrid');
    let caught: unknown;
    try {
      loadPlan(bad);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const err = caught as ValidationError;
    expect(err.code).toBe('E_VALIDATION');
    expect(err.retryable).toBe(false);
    expect(err.issues.map((i) => i.path)).toEqual(['name', 'phases[1].tasks[0].command']);
    expect(err.message).toContain('phases[1].tasks[0].command: must not be empty');
  });
});
