/**
 * The bounds of every plan field, at and just past each edge (issue 15: mutation testing of
 * plan.ts showed a bound could be dropped unnoticed when only values inside it were tried).
 */
import type { FieldIssue } from './errors.js';
import { type Result, validatePlanObject } from './plan-loader.js';

type Obj = Record<string, any>;
const T = 'phases[0].tasks[0]';
const plan = (task: Obj = {}, top: Obj = {}): Obj => ({
  name: 'demo',
  teams: [{ name: 'fe' }],
  phases: [{ id: 'one', tasks: [{ id: 'build', team: 'fe', role: 'Frontend-Dev', command: ['npm', 'test'], ...task }] }],
  ...top,
});
const withTeam = (team: Obj): Obj => plan({}, { teams: [{ name: 'fe', ...team }] });
const withPhase = (phase: Obj): Obj => plan({}, { phases: [{ ...plan().phases[0], ...phase }] });
function issuesOf<T>(r: Result<T>): FieldIssue[] {
  if (r.ok) throw new Error(`expected the plan to be refused, got ${JSON.stringify(r.value)}`);
  return r.issues;
}
const refused = (p: Obj) => issuesOf(validatePlanObject(p));
const accepted = (p: Obj) => {
  const r = validatePlanObject(p);
  if (!r.ok) throw new Error(`expected the plan to be accepted: ${JSON.stringify(r.issues)}`);
  return r.value;
};
const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

describe('plan durations: each field keeps its own bounds', () => {
  it.each([
    ['task timeout', (d: string) => plan({ timeout: d }), `${T}.timeout`, '1s', '168h', '999ms', '169h'],
    ['task commit_every', (d: string) => plan({ commit_every: d }), `${T}.commit_every`, '1m', '24h', '59s', '25h'],
    ['task restart_every', (d: string) => plan({ restart_every: d }), `${T}.restart_every`, '1m', '168h', '59s', '169h'],
    ['task lost_after', (d: string) => plan({ lost_after: d }), `${T}.lost_after`, '10s', '24h', '9s', '25h'],
    ['task cache ttl', (d: string) => plan({ cache: { ttl: d } }), `${T}.cache.ttl`, '1s', '720h', '999ms', '721h'],
    ['team checkin', (d: string) => withTeam({ checkin: d }), 'teams[0].checkin', '1m', '24h', '59s', '25h'],
    ['team commit_every', (d: string) => withTeam({ commit_every: d }), 'teams[0].commit_every', '1m', '24h', '59s', '25h'],
  ])('%s', (_what, make, path, min, max, under, over) => {
    accepted(make(min));
    accepted(make(max));
    const message = `must be between ${min} and ${max}`;
    expect(refused(make(under))).toEqual([{ path, message }]);
    expect(refused(make(over))).toEqual([{ path, message }]);
  });

  it('decodes each duration to milliseconds', () => {
    const p = accepted(plan({ timeout: '2h', commit_every: '30m', restart_every: '1h', lost_after: '15m', cache: { ttl: 90 } }, { teams: [{ name: 'fe', checkin: '20m', commit_every: '2h' }] }));
    expect(p.phases[0]!.tasks[0]).toMatchObject({ timeout: 7_200_000, commit_every: 1_800_000, restart_every: 3_600_000, lost_after: 900_000, cache: { ttl: 90_000 } });
    expect(p.teams[0]).toMatchObject({ checkin: 1_200_000, commit_every: 7_200_000 });
  });
});

describe('plan numbers and lists: at and past their edges', () => {
  it('priority between -1000 and 1000', () => {
    accepted(plan({ priority: -1000 }));
    accepted(plan({ priority: 1000 }));
    for (const priority of [-1001, 1001, 0.5]) expect(refused(plan({ priority })).map((i) => i.path)).toEqual([`${T}.priority`]);
  });

  it('at most 200 dependencies of a task and of a phase', () => {
    accepted(plan({ depends_on: ids(200) }));
    expect(refused(plan({ depends_on: ids(201) })).map((i) => i.path)).toEqual([`${T}.depends_on`]);
    accepted(withPhase({ depends_on: ids(200) }));
    expect(refused(withPhase({ depends_on: ids(201) })).map((i) => i.path)).toEqual(['phases[0].depends_on']);
  });

  it('an absolute path of at most 4096 characters, for cwd and repo', () => {
    const path = (n: number) => `/${'a'.repeat(n - 1)}`;
    accepted(plan({ cwd: path(4096), repo: path(4096) }));
    expect(refused(plan({ cwd: path(4097) })).map((i) => i.path)).toEqual([`${T}.cwd`]);
    expect(refused(plan({ repo: 'srv/repo' }))).toEqual([{ path: `${T}.repo`, message: 'must be an absolute path' }]);
  });

  it('descriptions and the schedule have their own lengths', () => {
    accepted(plan({}, { description: 'd'.repeat(2000), schedule: 's'.repeat(100) }));
    expect(refused(plan({}, { description: 'd'.repeat(2001) })).map((i) => i.path)).toEqual(['description']);
    expect(refused(plan({}, { schedule: 's'.repeat(101) })).map((i) => i.path)).toEqual(['schedule']);
    accepted(withTeam({ description: 'd'.repeat(500) }));
    expect(refused(withTeam({ description: 'd'.repeat(501) })).map((i) => i.path)).toEqual(['teams[0].description']);
    accepted(withPhase({ description: 'd'.repeat(500) }));
    expect(refused(withPhase({ description: 'd'.repeat(501) })).map((i) => i.path)).toEqual(['phases[0].description']);
  });

  it('at most 100 teams', () => {
    const teams = (n: number) => Array.from({ length: n }, (_, i) => ({ name: i === 0 ? 'fe' : `team${i}` }));
    accepted(plan({}, { teams: teams(100) }));
    expect(refused(plan({}, { teams: teams(101) })).map((i) => i.path)).toEqual(['teams']);
  });

  it('cache inputs are 1 to 1024 characters', () => {
    accepted(plan({ cache: { ttl: '1h', inputs: ['x'.repeat(1024)] } }));
    expect(refused(plan({ cache: { ttl: '1h', inputs: [''] } })).map((i) => i.path)).toEqual([`${T}.cache.inputs[0]`]);
    expect(refused(plan({ cache: { ttl: '1h', inputs: ['x'.repeat(1025)] } })).map((i) => i.path)).toEqual([`${T}.cache.inputs[0]`]);
  });

  it('a blank task prompt is refused, a prompt with words is kept', () => {
    expect(refused(plan({ agent: 'claude', prompt: ' \t ' }))).toEqual([{ path: `${T}.prompt`, message: 'must not be blank' }]);
    expect(accepted(plan({ agent: 'claude', prompt: ' go ' })).phases[0]!.tasks[0]!.prompt).toBe(' go ');
  });
});

describe('plan labels: keys and values', () => {
  const KEY_RULE = 'label keys must match ^[a-z0-9][a-z0-9._/-]{0,62}$';
  const VALUE_RULE = 'label values are letters, digits, ".", "_" and "-" (max 63)';

  it('accepts keys of 1 to 63 characters starting with a letter or digit, with . _ / - after', () => {
    for (const key of ['a', '0', `k${'x'.repeat(62)}`, 'team.io/zone_a-b', '9z']) {
      accepted(plan({ labels: { [key]: 'v' }, requires: { [key]: 'v' } }));
    }
  });

  it.each([
    ['64 characters', `k${'x'.repeat(63)}`],
    ['an upper-case letter', 'Zone'],
    ['a leading dash', '-zone'],
    ['a leading dot', '.zone'],
    ['a space inside', 'zo ne'],
    ['a trailing newline', 'zone\n'],
    ['a character outside the set', 'zone:a'],
  ])('refuses a key with %s, in labels and in requires', (_what, key) => {
    expect(refused(plan({ labels: { [key]: 'v' } }))).toEqual([{ path: `${T}.labels.${key}`, message: `invalid key "${key}": ${KEY_RULE}` }]);
    expect(refused(plan({ requires: { [key]: 'v' } }))).toEqual([{ path: `${T}.requires.${key}`, message: `invalid key "${key}": ${KEY_RULE}` }]);
  });

  it('accepts values of letters, digits, . _ and - up to 63 characters (and an empty value)', () => {
    accepted(plan({ labels: { a: 'Az09._-', b: 'v'.repeat(63), c: '' } }));
  });

  it.each([
    ['64 characters', 'v'.repeat(64), 'Too big: expected string to have <=63 characters'],
    ['a slash', 'a/b', VALUE_RULE],
    ['a leading space', ' a', VALUE_RULE],
    ['a trailing colon', 'a:', VALUE_RULE],
  ])('refuses a value with %s', (_what, value, message) => {
    expect(refused(plan({ requires: { zone: value } }))).toEqual([{ path: `${T}.requires.zone`, message }]);
  });

  it('at most 32 required labels', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    accepted(plan({ requires: many(32) }));
    expect(refused(plan({ requires: many(33) }))).toEqual([{ path: `${T}.requires`, message: 'at most 32 labels' }]);
  });
});

describe('plan enumerations not covered elsewhere', () => {
  it.each(['notify', 'restart', 'fail'])('on_stall %s is accepted and kept', (on_stall) => {
    expect(accepted(plan({ agent: 'claude', on_stall })).phases[0]!.tasks[0]!.on_stall).toBe(on_stall);
  });
  it.each(['notify', 'checkin'])('on_waiting %s is accepted and kept', (on_waiting) => {
    expect(accepted(plan({ agent: 'claude', on_waiting })).phases[0]!.tasks[0]!.on_waiting).toBe(on_waiting);
  });
  it('refuses a value outside on_stall, on_waiting and done_when', () => {
    for (const [field, value] of [['on_stall', 'ignore'], ['on_waiting', 'wait'], ['done_when', 'never']]) {
      expect(refused(plan({ agent: 'claude', [field!]: value })).map((i) => i.path)).toEqual([`${T}.${field}`]);
    }
  });
  it('interactive is a boolean and batch an id', () => {
    expect(accepted(plan({ interactive: false, batch: 'b-1' })).phases[0]!.tasks[0]).toMatchObject({ interactive: false, batch: 'b-1' });
    expect(refused(plan({ interactive: 'yes' })).map((i) => i.path)).toEqual([`${T}.interactive`]);
    expect(refused(plan({ batch: 'B 1' })).map((i) => i.path)).toEqual([`${T}.batch`]);
  });
});
