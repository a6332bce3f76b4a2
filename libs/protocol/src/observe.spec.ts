import { AGENT_STATES, AgentStateName, AgentStatus, AnalyticsReport, KindStats, NEEDS_OPERATOR, UtilisationPoint } from './observe.js';
import { refusal } from './schema-issues.spec-support.js';

/** `value[group][name]` of a decoded report. */
function inner(value: unknown, group: string, name: string): unknown {
  return (value as Record<string, Record<string, unknown> | undefined>)[group]?.[name];
}

const GE0 = 'Too small: expected number to be >=0';
const INT = 'Invalid input: expected int, received number';

function kind(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: 'web/dev/claude', attempts: 4, succeeded: 2, failed: 1, retried: 1, ...over };
}

function point(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { at: 1_700_000_000_000, cpuPercent: 37.5, memUsedMb: 2048.5, running: 2, ...over };
}

function report(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    since: 1_000,
    until: 2_000,
    runs: { total: 5, succeeded: 3, failed: 1, cancelled: 1 },
    tasks: { attempts: 9, succeeded: 6, failed: 2, successRate: 0.75, retryRate: 0.25 },
    byKind: [kind({ p50Ms: 1500.5, p95Ms: 9000 })],
    slowestPhases: [{ runId: 'run-1', plan: 'ship', phaseId: 'build', durationMs: 61_000.5 }],
    utilisation: [{ nodeId: 'node-a', points: [point()] }],
    cache: { hits: 3, misses: 1, hitRate: 0.75 },
    agentHours: 1.25,
    history: { records: 40, dropped: 0, buffered: 2 },
    ...over,
  };
}

describe('AGENT_STATES and AgentStateName', () => {
  it('lists the states in order', () => {
    expect([...AGENT_STATES]).toEqual(['starting', 'working', 'waiting-for-input', 'menu', 'stalled', 'error', 'done', 'unknown']);
  });

  it.each(['starting', 'working', 'waiting-for-input', 'menu', 'stalled', 'error', 'done', 'unknown'])('accepts %p', (state) => {
    expect(AgentStateName.parse(state)).toBe(state);
  });

  it.each(['', 'Working', 'waiting_for_input', 'waiting', 'menus', 'idle', ' done'])('refuses %p', (state) => {
    expect(AgentStateName.safeParse(state).success).toBe(false);
  });
});

describe('NEEDS_OPERATOR', () => {
  it('holds exactly the states that need an operator', () => {
    expect([...NEEDS_OPERATOR]).toEqual(['waiting-for-input', 'menu', 'stalled', 'error']);
    for (const s of ['starting', 'working', 'done', 'unknown'] as const) expect(NEEDS_OPERATOR.has(s)).toBe(false);
  });
});

describe('AgentStatus', () => {
  it('decodes state and since exactly', () => {
    expect(AgentStatus.parse({ state: 'menu', since: 12 })).toEqual({ state: 'menu', since: 12 });
    expect(AgentStatus.parse({ state: 'done', since: 0 })).toEqual({ state: 'done', since: 0 });
  });

  it('refuses a bad since, a bad state and an unknown key', () => {
    expect(refusal(AgentStatus, { state: 'menu', since: -1 })).toEqual([`since: ${GE0}`]);
    expect(refusal(AgentStatus, { state: 'menu', since: 1.5 })).toEqual([`since: ${INT}`]);
    expect(refusal(AgentStatus, { state: 'busy', since: 1 })).toHaveLength(1);
    expect(refusal(AgentStatus, { state: 'busy', since: 1 })[0]).toMatch(/^state: /);
    expect(refusal(AgentStatus, { state: 'menu', since: 1, screen: '' })).toEqual([': Unrecognized key: "screen"']);
    expect(refusal(AgentStatus, { state: 'menu' })).toEqual(['since: Invalid input: expected number, received undefined']);
    expect(refusal(AgentStatus, { since: 1 })).toHaveLength(1);
  });
});

describe('KindStats', () => {
  it('decodes exactly, with or without the optional percentiles', () => {
    expect(KindStats.parse(kind())).toEqual({ kind: 'web/dev/claude', attempts: 4, succeeded: 2, failed: 1, retried: 1 });
    expect(KindStats.parse(kind({ p50Ms: 0, p95Ms: 2.5 }))).toEqual({ kind: 'web/dev/claude', attempts: 4, succeeded: 2, failed: 1, retried: 1, p50Ms: 0, p95Ms: 2.5 });
    expect(KindStats.parse(kind({ kind: '' })).kind).toBe('');
  });

  it.each(['attempts', 'succeeded', 'failed', 'retried'])('wants %p a non-negative integer', (field) => {
    expect(KindStats.parse(kind({ [field]: 0 }))[field as 'attempts']).toBe(0);
    expect(refusal(KindStats, kind({ [field]: -1 }))).toEqual([`${field}: ${GE0}`]);
    expect(refusal(KindStats, kind({ [field]: 1.5 }))).toEqual([`${field}: ${INT}`]);
  });

  it.each(['p50Ms', 'p95Ms'])('wants %p a non-negative number', (field) => {
    expect(KindStats.parse(kind({ [field]: 0.5 }))[field as 'p50Ms']).toBe(0.5);
    expect(refusal(KindStats, kind({ [field]: -0.5 }))).toEqual([`${field}: ${GE0}`]);
  });

  it('refuses an unknown key and a missing kind', () => {
    expect(refusal(KindStats, kind({ p99Ms: 1 }))).toEqual([': Unrecognized key: "p99Ms"']);
    const value = kind();
    delete value.kind;
    expect(refusal(KindStats, value)).toEqual(['kind: Invalid input: expected string, received undefined']);
  });
});

describe('UtilisationPoint', () => {
  it('decodes exactly', () => {
    expect(UtilisationPoint.parse(point())).toEqual({ at: 1_700_000_000_000, cpuPercent: 37.5, memUsedMb: 2048.5, running: 2 });
  });

  it('bounds cpuPercent at 0..100', () => {
    expect(UtilisationPoint.parse(point({ cpuPercent: 0 })).cpuPercent).toBe(0);
    expect(UtilisationPoint.parse(point({ cpuPercent: 100 })).cpuPercent).toBe(100);
    expect(refusal(UtilisationPoint, point({ cpuPercent: 100.5 }))).toEqual(['cpuPercent: Too big: expected number to be <=100']);
    expect(refusal(UtilisationPoint, point({ cpuPercent: -0.5 }))).toEqual([`cpuPercent: ${GE0}`]);
  });

  it('wants at and running non-negative integers, memUsedMb a non-negative number', () => {
    expect(UtilisationPoint.parse(point({ at: 0, running: 0, memUsedMb: 0 }))).toEqual({ at: 0, cpuPercent: 37.5, memUsedMb: 0, running: 0 });
    expect(refusal(UtilisationPoint, point({ at: -1 }))).toEqual([`at: ${GE0}`]);
    expect(refusal(UtilisationPoint, point({ at: 1.5 }))).toEqual([`at: ${INT}`]);
    expect(refusal(UtilisationPoint, point({ running: -1 }))).toEqual([`running: ${GE0}`]);
    expect(refusal(UtilisationPoint, point({ running: 1.5 }))).toEqual([`running: ${INT}`]);
    expect(refusal(UtilisationPoint, point({ memUsedMb: -0.5 }))).toEqual([`memUsedMb: ${GE0}`]);
  });

  it('refuses an unknown key', () => {
    expect(refusal(UtilisationPoint, point({ swapMb: 1 }))).toEqual([': Unrecognized key: "swapMb"']);
  });
});

describe('AnalyticsReport', () => {
  it('decodes a full report exactly', () => {
    expect(AnalyticsReport.parse(report())).toEqual({
      since: 1_000,
      until: 2_000,
      runs: { total: 5, succeeded: 3, failed: 1, cancelled: 1 },
      tasks: { attempts: 9, succeeded: 6, failed: 2, successRate: 0.75, retryRate: 0.25 },
      byKind: [{ kind: 'web/dev/claude', attempts: 4, succeeded: 2, failed: 1, retried: 1, p50Ms: 1500.5, p95Ms: 9000 }],
      slowestPhases: [{ runId: 'run-1', plan: 'ship', phaseId: 'build', durationMs: 61_000.5 }],
      utilisation: [{ nodeId: 'node-a', points: [{ at: 1_700_000_000_000, cpuPercent: 37.5, memUsedMb: 2048.5, running: 2 }] }],
      cache: { hits: 3, misses: 1, hitRate: 0.75 },
      agentHours: 1.25,
      history: { records: 40, dropped: 0, buffered: 2 },
    });
  });

  it('accepts a report without its optional rates and history, and empty lists', () => {
    const value = report({
      tasks: { attempts: 0, succeeded: 0, failed: 0 },
      byKind: [],
      slowestPhases: [],
      utilisation: [],
      cache: { hits: 0, misses: 0 },
      agentHours: 0,
    });
    delete value.history;
    expect(AnalyticsReport.parse(value)).toEqual({
      since: 1_000,
      until: 2_000,
      runs: { total: 5, succeeded: 3, failed: 1, cancelled: 1 },
      tasks: { attempts: 0, succeeded: 0, failed: 0 },
      byKind: [],
      slowestPhases: [],
      utilisation: [],
      cache: { hits: 0, misses: 0 },
      agentHours: 0,
    });
  });

  it.each([
    ['tasks', 'successRate'],
    ['tasks', 'retryRate'],
    ['cache', 'hitRate'],
  ])('bounds %s.%s at 0..1', (group, field) => {
    const base = report()[group] as Record<string, unknown>;
    const at = (v: number) => report({ [group]: { ...base, [field]: v } });
    expect(inner(AnalyticsReport.parse(at(0)), group, field)).toBe(0);
    expect(inner(AnalyticsReport.parse(at(1)), group, field)).toBe(1);
    expect(refusal(AnalyticsReport, at(1.01))).toEqual([`${group}.${field}: Too big: expected number to be <=1`]);
    expect(refusal(AnalyticsReport, at(-0.01))).toEqual([`${group}.${field}: ${GE0}`]);
  });

  it('wants since and until non-negative integers, agentHours a non-negative number', () => {
    expect(AnalyticsReport.parse(report({ since: 0, until: 0 }))).toMatchObject({ since: 0, until: 0 });
    expect(refusal(AnalyticsReport, report({ since: -1 }))).toEqual([`since: ${GE0}`]);
    expect(refusal(AnalyticsReport, report({ since: 1.5 }))).toEqual([`since: ${INT}`]);
    expect(refusal(AnalyticsReport, report({ until: -1 }))).toEqual([`until: ${GE0}`]);
    expect(refusal(AnalyticsReport, report({ until: 1.5 }))).toEqual([`until: ${INT}`]);
    expect(refusal(AnalyticsReport, report({ agentHours: -0.5 }))).toEqual([`agentHours: ${GE0}`]);
  });

  it.each([
    ['runs', 'total'],
    ['runs', 'succeeded'],
    ['runs', 'failed'],
    ['runs', 'cancelled'],
    ['tasks', 'attempts'],
    ['tasks', 'succeeded'],
    ['tasks', 'failed'],
    ['cache', 'hits'],
    ['cache', 'misses'],
    ['history', 'records'],
    ['history', 'dropped'],
    ['history', 'buffered'],
  ])('wants %s.%s a non-negative integer', (group, field) => {
    const base = report()[group] as Record<string, unknown>;
    expect(refusal(AnalyticsReport, report({ [group]: { ...base, [field]: -1 } }))).toEqual([`${group}.${field}: ${GE0}`]);
    expect(refusal(AnalyticsReport, report({ [group]: { ...base, [field]: 1.5 } }))).toEqual([`${group}.${field}: ${INT}`]);
    expect(inner(AnalyticsReport.parse(report({ [group]: { ...base, [field]: 0 } })), group, field)).toBe(0);
  });

  it.each(['runs', 'tasks', 'cache', 'history'])('refuses an unknown key in %s', (group) => {
    const base = report()[group] as Record<string, unknown>;
    expect(refusal(AnalyticsReport, report({ [group]: { ...base, extra: 1 } }))).toEqual([`${group}: Unrecognized key: "extra"`]);
  });

  it('refuses unknown keys at the root and in list entries, and checks entries by their schema', () => {
    expect(refusal(AnalyticsReport, report({ extra: 1 }))).toEqual([': Unrecognized key: "extra"']);
    expect(refusal(AnalyticsReport, report({ slowestPhases: [{ runId: 'r', plan: 'p', phaseId: 'x', durationMs: 1, task: 't' }] }))).toEqual([
      'slowestPhases.0: Unrecognized key: "task"',
    ]);
    expect(refusal(AnalyticsReport, report({ slowestPhases: [{ runId: 'r', plan: 'p', phaseId: 'x', durationMs: -1 }] }))).toEqual([`slowestPhases.0.durationMs: ${GE0}`]);
    expect(refusal(AnalyticsReport, report({ utilisation: [{ nodeId: 'n', points: [], cpu: 1 }] }))).toEqual(['utilisation.0: Unrecognized key: "cpu"']);
    expect(refusal(AnalyticsReport, report({ utilisation: [{ nodeId: 'n', points: [point({ cpuPercent: 101 })] }] }))).toEqual([
      'utilisation.0.points.0.cpuPercent: Too big: expected number to be <=100',
    ]);
    expect(refusal(AnalyticsReport, report({ byKind: [kind({ retried: -1 })] }))).toEqual([`byKind.0.retried: ${GE0}`]);
  });

  it.each(['since', 'until', 'runs', 'tasks', 'byKind', 'slowestPhases', 'utilisation', 'cache', 'agentHours'])('requires %p', (field) => {
    const value = report();
    delete value[field];
    const issues = refusal(AnalyticsReport, value);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^${field}: Invalid input: expected (number|object|array), received undefined$`));
  });

  it.each([
    ['runs', 'total'],
    ['runs', 'succeeded'],
    ['runs', 'failed'],
    ['runs', 'cancelled'],
    ['tasks', 'attempts'],
    ['tasks', 'succeeded'],
    ['tasks', 'failed'],
    ['cache', 'hits'],
    ['cache', 'misses'],
    ['history', 'records'],
    ['history', 'dropped'],
    ['history', 'buffered'],
  ])('requires %s.%s', (group, field) => {
    const inside = { ...(report()[group] as Record<string, unknown>) };
    delete inside[field];
    expect(refusal(AnalyticsReport, report({ [group]: inside }))).toEqual([`${group}.${field}: Invalid input: expected number, received undefined`]);
  });

  it.each(['runId', 'plan', 'phaseId', 'durationMs'])('requires slowestPhases[].%s', (field) => {
    const phase: Record<string, unknown> = { runId: 'r', plan: 'p', phaseId: 'x', durationMs: 1 };
    delete phase[field];
    const issues = refusal(AnalyticsReport, report({ slowestPhases: [phase] }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^slowestPhases\\.0\\.${field}: Invalid input: expected (string|number), received undefined$`));
  });

  it('requires utilisation[].nodeId and points, and each point field', () => {
    expect(refusal(AnalyticsReport, report({ utilisation: [{ points: [] }] }))).toEqual(['utilisation.0.nodeId: Invalid input: expected string, received undefined']);
    expect(refusal(AnalyticsReport, report({ utilisation: [{ nodeId: 'n' }] }))).toEqual(['utilisation.0.points: Invalid input: expected array, received undefined']);
    for (const field of ['at', 'cpuPercent', 'memUsedMb', 'running']) {
      const p = point();
      delete p[field];
      expect(refusal(UtilisationPoint, p)).toEqual([`${field}: Invalid input: expected number, received undefined`]);
    }
  });

  it('requires each count of a kind', () => {
    for (const field of ['attempts', 'succeeded', 'failed', 'retried']) {
      const k = kind();
      delete k[field];
      expect(refusal(KindStats, k)).toEqual([`${field}: Invalid input: expected number, received undefined`]);
    }
  });

  it('keeps fractional phase durations and accepts a zero one', () => {
    const r = AnalyticsReport.parse(report({ slowestPhases: [{ runId: 'r', plan: '', phaseId: 'p', durationMs: 0 }] }));
    expect(r.slowestPhases).toEqual([{ runId: 'r', plan: '', phaseId: 'p', durationMs: 0 }]);
  });
});
