import { ConflictError } from './errors.js';
import {
  PHASE_TRANSITIONS,
  RUN_TRANSITIONS,
  TASK_TRANSITIONS,
  TERMINAL_PHASE,
  TERMINAL_RUN,
  TERMINAL_TASK,
  assertTransition,
  canTransition,
} from './lifecycle.js';

const tables = [
  ['run', RUN_TRANSITIONS, TERMINAL_RUN],
  ['phase', PHASE_TRANSITIONS, TERMINAL_PHASE],
  ['task', TASK_TRANSITIONS, TERMINAL_TASK],
] as const;

describe.each(tables)('%s lifecycle', (_name, table, terminal) => {
  const states = Object.keys(table) as string[];
  const t = table as Record<string, readonly string[]>;

  it('terminal states have no way out, and every other state has one', () => {
    for (const s of states) expect(t[s]!.length === 0).toBe((terminal as readonly string[]).includes(s));
  });

  it('only names known states, never itself', () => {
    for (const s of states) for (const to of t[s]!) {
      expect(states).toContain(to);
      expect(to).not.toBe(s);
    }
  });

  it('reaches a terminal state from every state', () => {
    for (const s of states) {
      const seen = new Set([s]);
      const todo = [s];
      while (todo.length) for (const to of t[todo.pop()!]!) if (!seen.has(to)) (seen.add(to), todo.push(to));
      expect([...seen].some((x) => (terminal as readonly string[]).includes(x))).toBe(true);
    }
  });

  it('pending is the only state nothing leads to', () => {
    const targets = new Set(states.flatMap((s) => t[s]!));
    expect(states.filter((s) => !targets.has(s))).toEqual(['pending']);
  });
});

describe('transitions', () => {
  it('allow the normal paths', () => {
    expect(canTransition(RUN_TRANSITIONS, 'pending', 'running')).toBe(true);
    expect(canTransition(RUN_TRANSITIONS, 'running', 'awaiting-operator')).toBe(true);
    expect(canTransition(RUN_TRANSITIONS, 'awaiting-operator', 'running')).toBe(true);
    expect(canTransition(PHASE_TRANSITIONS, 'pending', 'skipped')).toBe(true);
    for (const [a, b] of [['pending', 'queued'], ['queued', 'dispatched'], ['dispatched', 'running'], ['running', 'retry-wait'], ['retry-wait', 'queued'], ['running', 'succeeded']] as const) {
      expect(canTransition(TASK_TRANSITIONS, a, b)).toBe(true);
    }
  });

  it('refuse leaving a terminal state or skipping the queue', () => {
    expect(canTransition(RUN_TRANSITIONS, 'succeeded', 'running')).toBe(false);
    expect(canTransition(RUN_TRANSITIONS, 'cancelled', 'failed')).toBe(false);
    expect(canTransition(TASK_TRANSITIONS, 'pending', 'running')).toBe(false);
    expect(canTransition(TASK_TRANSITIONS, 'failed', 'queued')).toBe(false);
    expect(canTransition(PHASE_TRANSITIONS, 'pending', 'succeeded')).toBe(false);
  });

  it('assertTransition throws a ConflictError naming the entity', () => {
    expect(() => assertTransition(RUN_TRANSITIONS, 'run r1', 'pending', 'running')).not.toThrow();
    let caught: unknown;
    try {
      assertTransition(RUN_TRANSITIONS, 'run r1', 'succeeded', 'cancelled');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConflictError);
    expect((caught as ConflictError).code).toBe('E_CONFLICT');
    expect((caught as ConflictError).message).toBe('run r1: cannot go from succeeded to cancelled');
  });
});
