/** Shared helpers of the RunEngine specs: a real compiled plan, a fake clock, the node's part. */
import { type RunView, type TaskOutcome, validatePlanObject } from '@shoal/protocol';
import { RunEngine } from './engine.js';
import type { Effect, EngineOptions } from './engine-types.js';
import { compilePlan } from './graph.js';

export interface TaskSpec {
  id: string;
  depends_on?: string[];
  retries?: number;
  on_node_lost?: 'wait' | 'replace';
  lost_after?: number;
}
export interface PhaseSpec {
  id: string;
  depends_on?: string[];
  failure_policy?: 'fail-fast' | 'continue' | 'manual';
  tasks: TaskSpec[];
}

/** An engine over a real compiled plan, a fake clock, and helpers that play the node's part. */
export function setup(phases: PhaseSpec[], opts: Partial<EngineOptions> = {}) {
  const data = { name: 'demo', teams: [{ name: 'fe' }], phases: phases.map((p) => ({ ...p, tasks: p.tasks.map((t) => ({ team: 'fe', role: `R-${t.id}`, command: ['true'], ...t })) })) };
  const parsed = validatePlanObject(data);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const compiled = compilePlan(parsed.value);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
  const clock = { t: 1_000 };
  const engine = new RunEngine(compiled.value, { now: () => clock.t, ...opts });
  const run = engine.createView('run-1', 'trace-1');
  const task = (id: string) => run.tasks.find((t) => t.id === id)!;
  const phase = (id: string) => run.phases.find((p) => p.id === id)!;
  /** Dispatches and starts the task's current attempt on a node. */
  const launch = (id: string, nodeId = 'n1'): Effect[] => {
    const attempt = task(id).attempt;
    return [...engine.dispatched(run, id, attempt, nodeId), ...engine.started(run, id, attempt, clock.t, nodeId)];
  };
  const finish = (id: string, exitCode: number, outcome: TaskOutcome = exitCode === 0 ? 'succeeded' : 'failed', attempt = task(id).attempt, nodeId?: string): Effect[] => {
    clock.t += 10;
    return engine.finished(run, { taskId: id, attempt, outcome, exitCode, finishedAt: clock.t, outputTail: `out of ${id}`, ...(nodeId ? { nodeId } : {}) });
  };
  return { engine, run, clock, task, phase, launch, finish };
}

export const enqueued = (fx: Effect[]) => fx.flatMap((e) => (e.kind === 'enqueue' ? [`${e.taskId}#${e.attempt}`] : []));
export const ofKind = <K extends Effect['kind']>(fx: Effect[], kind: K) => fx.filter((e): e is Extract<Effect, { kind: K }> => e.kind === kind);
export const states = (run: RunView) => Object.fromEntries(run.tasks.map((t) => [t.id, t.state]));
export const runEvents = (fx: Effect[]) => fx.flatMap((e) => (e.kind === 'event' && e.event.type === 'run' ? [e.event.state] : []));

export const HYBRID: PhaseSpec[] = [
  { id: 'one', tasks: [{ id: 'a' }, { id: 'b' }] },
  { id: 'two', depends_on: ['one'], tasks: [{ id: 'c' }] },
  { id: 'three', depends_on: ['two'], tasks: [{ id: 'd' }, { id: 'e' }] },
];

