import { DEFAULT_PLAN_LIMITS, MAX_ISSUES, parsePlanText } from '@shoal/protocol';
import { checkPlan } from './intake-job';

const plan = (tasks: object[]) => ({ name: 'p', teams: [{ name: 'a' }], phases: [{ id: 'one', tasks }] });
const task = (id: string, role = id) => ({ id, team: 'a', role, command: ['true'] });

describe('checkPlan (what an intake worker runs)', () => {
  it('compiles a plan given as text or as a parsed value, and keeps a text that reads back the same', () => {
    const value = plan([task('x'), task('y')]);
    for (const input of [{ text: JSON.stringify(value) }, { value }]) {
      const out = checkPlan(input, DEFAULT_PLAN_LIMITS);
      if (!out.ok) throw new Error(JSON.stringify(out.issues));
      expect([...out.compiled.tasks.keys()]).toEqual(['x', 'y']);
      expect(parsePlanText(out.text)).toEqual({ ok: true, value });
      expect(out.schedule).toBeUndefined();
    }
    const scheduled = checkPlan({ value: { ...value, schedule: '*/5 * * * *' } }, DEFAULT_PLAN_LIMITS);
    expect(scheduled.ok && scheduled.schedule).toBe('*/5 * * * *');
  });

  it('caps the problems the compiler finds too (1,000 duplicate ids -> 50 and "and 950 more")', () => {
    const tasks = Array.from({ length: 2000 }, (_, i) => task(`t${i % 1000}`, `r${i}`));
    const out = checkPlan({ value: plan(tasks) }, DEFAULT_PLAN_LIMITS);
    if (out.ok) throw new Error('expected problems');
    expect(out.issues).toHaveLength(MAX_ISSUES + 1);
    expect(out.issues[0]).toEqual({ path: 'phases[0].tasks[1000].id', message: 'duplicate task id "t0" (also phases[0].tasks[0])' });
    expect(out.issues[MAX_ISSUES]!.message).toBe(`and ${1000 - MAX_ISSUES} more problem(s): only the first ${MAX_ISSUES} are listed`);
  });

  it('passes on the schema problems as the loader counted them', () => {
    const tasks = Array.from({ length: 2000 }, (_, i) => ({ ...task(`T_${i}`), role: `r${i}` }));
    const out = checkPlan({ text: JSON.stringify(plan(tasks)) }, DEFAULT_PLAN_LIMITS);
    if (out.ok) throw new Error('expected problems');
    expect(out.issues).toHaveLength(MAX_ISSUES + 1);
    expect(out.issues[MAX_ISSUES]!.message).toBe(`and ${2000 - MAX_ISSUES} more problem(s): only the first ${MAX_ISSUES} are listed`);
  });

  it('answers a plan over the limits with one problem, whatever its tasks look like', () => {
    const tasks = Array.from({ length: 10_000 }, (_, i) => ({ id: `T_${i}`, memory: 'lots' }));
    expect(checkPlan({ text: JSON.stringify(plan(tasks)) }, DEFAULT_PLAN_LIMITS)).toEqual({ ok: false, issues: [{ path: 'phases', message: 'at most 2000 tasks in all' }] });
  });
});
