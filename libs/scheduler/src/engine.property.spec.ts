import fc from 'fast-check';
import { TERMINAL_PHASE, TERMINAL_RUN, TERMINAL_TASK, type Plan, type RunView, validatePlanObject } from '@shoal/protocol';
import { RunEngine } from './engine.js';
import type { Effect, OperatorAction } from './engine-types.js';
import { type CompiledPlan, compilePlan } from './graph.js';

/** fast-check seed: fixed so a failure reproduces; printed in the describe name (FC_SEED overrides it). */
const SEED = Number(process.env.FC_SEED ?? 20261129);

/** A random plan: each phase depends on a random subset of earlier phases; tasks may depend on earlier tasks of their phase. */
const planArb = fc
  .array(
    fc.record({
      deps: fc.array(fc.nat(), { maxLength: 3 }),
      policy: fc.constantFrom('fail-fast', 'continue', 'manual'),
      tasks: fc.array(fc.record({ deps: fc.array(fc.nat(), { maxLength: 2 }), retries: fc.oneof(fc.constant(0), fc.nat(2)) }), { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((phases) => ({
    name: 'random',
    teams: [{ name: 'fe' }],
    phases: phases.map((p, i) => ({
      id: `p${i}`,
      depends_on: i === 0 ? [] : [...new Set(p.deps.map((d) => `p${d % i}`))],
      failure_policy: p.policy,
      tasks: p.tasks.map((t, j) => ({
        id: `p${i}-t${j}`,
        team: 'fe',
        role: `R${j}`,
        command: ['true'],
        retries: t.retries,
        depends_on: j === 0 ? [] : [...new Set(t.deps.map((d) => `p${i}-t${d % j}`))],
      })),
    })),
  }));

/** Random choices that drive the simulation: which pending thing happens next, and how it ends. */
const choicesArb = fc.array(fc.nat(1_000), { minLength: 50, maxLength: 400 });
/** Chance, in quarters, that an attempt fails. */
const failQuartersArb = fc.constantFrom(0, 1, 2, 3);

/** The generated plans are schema-valid by construction (checked once below), so they go straight to compilePlan. */
function compile(data: unknown): CompiledPlan {
  const compiled = compilePlan(data as Plan);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
  return compiled.value;
}

interface Slot {
  taskId: string;
  attempt: number;
  nodeId?: string;
}

/** Plays coordinator, placer, nodes and operator around the engine until the run ends (or nothing can happen). */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

function simulate(plan: CompiledPlan, choices: number[], failQuarters: number) {
  let i = 0;
  const pick = (n: number) => choices[i++ % choices.length]! % n;
  const clock = { t: 0 };
  const engine = new RunEngine(plan, { now: () => clock.t, backoffMs: (n) => 100 * n });
  const run = engine.createView('r');
  const queued: Slot[] = [];
  const active: Slot[] = [];
  const timers: Slot[] = [];
  const stale: Slot[] = [];
  /** Attempts given up with their lost node: a late success is accepted while the task is open. */
  const lostSlots: Slot[] = [];
  let nodeLosses = 0;

  const task = (id: string) => run.tasks.find((t) => t.id === id)!;
  const phase = (id: string) => run.phases.find((p) => p.id === id)!;
  const apply = (fx: Effect[]) => {
    for (const e of fx) {
      if (e.kind === 'enqueue') {
        const t = plan.tasks.get(e.taskId)!;
        for (const d of plan.phases.get(t.phaseId)!.dependsOn) check(phase(d).state === 'succeeded', `${e.taskId} enqueued while phase ${d} is ${phase(d).state}`);
        for (const d of t.dependsOn) check(task(d).state === 'succeeded', `${e.taskId} enqueued while task ${d} is ${task(d).state}`);
        check(!queued.some((q) => q.taskId === e.taskId), `${e.taskId} enqueued twice`);
        queued.push({ taskId: e.taskId, attempt: e.attempt });
      } else if (e.kind === 'dequeue') {
        const k = queued.findIndex((q) => q.taskId === e.taskId);
        check(k >= 0, `dequeue of ${e.taskId}, which is not queued`);
        queued.splice(k, 1);
      } else if (e.kind === 'stop') {
        const k = active.findIndex((a) => a.taskId === e.taskId && a.attempt === e.attempt);
        check(k >= 0, `stop of ${e.taskId}#${e.attempt}, which is not running`);
        stale.push(...active.splice(k, 1));
      } else if (e.kind === 'retry-after') {
        timers.push({ taskId: e.taskId, attempt: e.attempt });
      }
    }
  };

  apply(engine.start(run));
  for (let step = 0; step < 5_000 && !TERMINAL_RUN.includes(run.state); step++) {
    clock.t += 1 + pick(50);
    const awaiting = run.tasks.filter((t) => t.state === 'awaiting-operator');
    const actions = [
      queued.length && 'dispatch',
      active.length && 'finish',
      timers.length && 'timer',
      stale.length && 'stale',
      lostSlots.length && 'late',
      awaiting.length && 'operator',
      active.length && nodeLosses < 2 && 'lose-node',
    ].filter((a): a is string => !!a);
    if (actions.length === 0) break;
    const action = actions[pick(actions.length)];
    if (action === 'dispatch') {
      const [slot] = queued.splice(pick(queued.length), 1);
      slot!.nodeId = `n${pick(3)}`;
      apply(engine.dispatched(run, slot!.taskId, slot!.attempt, slot!.nodeId));
      if (pick(2)) apply(engine.started(run, slot!.taskId, slot!.attempt, clock.t, slot!.nodeId));
      active.push(slot!);
    } else if (action === 'finish') {
      const [slot] = active.splice(pick(active.length), 1);
      const ok = pick(4) >= failQuarters;
      apply(engine.finished(run, { taskId: slot!.taskId, attempt: slot!.attempt, outcome: ok ? 'succeeded' : 'failed', exitCode: ok ? 0 : 1, finishedAt: clock.t }));
      stale.push(slot!);
    } else if (action === 'timer') {
      const [slot] = timers.splice(pick(timers.length), 1);
      apply(engine.retryDue(run, slot!.taskId, slot!.attempt));
    } else if (action === 'stale') {
      const [slot] = stale.splice(pick(stale.length), 1);
      const fx = engine.finished(run, { taskId: slot!.taskId, attempt: slot!.attempt, outcome: 'succeeded', exitCode: 0, finishedAt: clock.t });
      check(fx.length === 0, `stale result of ${slot!.taskId}#${slot!.attempt} was accepted`);
    } else if (action === 'operator') {
      const t = awaiting[pick(awaiting.length)]!;
      const choice: OperatorAction = t.attempt >= 4 ? 'skip' : (['retry', 'skip', 'cancel'] as const)[pick(3)]!;
      apply(engine.operator(run, t.id, choice));
    } else if (action === 'lose-node') {
      nodeLosses++;
      const nodeId = active[pick(active.length)]!.nodeId!;
      const lost = active.filter((a) => a.nodeId === nodeId);
      for (const slot of lost) active.splice(active.indexOf(slot), 1);
      apply(engine.nodeLost(run, nodeId));
      lostSlots.push(...lost);
    } else if (action === 'late') {
      const [slot] = lostSlots.splice(pick(lostSlots.length), 1);
      const ok = pick(2) === 0;
      const t = task(slot!.taskId);
      const open = ['queued', 'dispatched', 'running', 'retry-wait'].includes(t.state);
      const fx = engine.finished(run, { taskId: slot!.taskId, attempt: slot!.attempt, outcome: ok ? 'succeeded' : 'failed', exitCode: ok ? 0 : 1, finishedAt: clock.t, nodeId: slot!.nodeId });
      check(fx.length > 0 === (ok && open), `late ${ok ? 'success' : 'failure'} of lost ${slot!.taskId}#${slot!.attempt} (task ${t.state}) ${fx.length ? 'accepted' : 'rejected'}`);
      if (fx.length) {
        const timer = timers.findIndex((x) => x.taskId === slot!.taskId);
        if (timer >= 0) timers.splice(timer, 1);
        apply(fx);
        check(t.state === 'succeeded' && t.attempt === slot!.attempt, `late success of ${slot!.taskId}#${slot!.attempt} left it ${t.state}#${t.attempt}`);
        stale.push(slot!);
      }
    }
  }
  return { engine, run, queued, active, timers };
}

function assertSettled(run: RunView) {
  expect(TERMINAL_RUN).toContain(run.state);
  for (const t of run.tasks) expect(TERMINAL_TASK).toContain(t.state);
  for (const p of run.phases) expect(TERMINAL_PHASE).toContain(p.state);
  const allSucceeded = run.phases.every((p) => p.state === 'succeeded');
  expect(run.state).toBe(allSucceeded ? 'succeeded' : 'failed');
  if (run.state === 'failed') expect(run.reason).toMatch(/^phase \S+ (failed|skipped)/);
}

describe(`RunEngine property: random DAGs with random outcomes (fast-check seed ${SEED})`, () => {
  it('generates schema-valid plans', () => {
    fc.assert(fc.property(planArb, (data) => expect(validatePlanObject(data).ok).toBe(true)), { numRuns: 30, seed: SEED });
  });

  it('always ends with the run and every task terminal, never starting work early', () => {
    fc.assert(
      fc.property(planArb, choicesArb, failQuartersArb, (data, choices, failQuarters) => {
        const { engine, run, queued, active, timers } = simulate(compile(data), choices, failQuarters);
        assertSettled(run);
        expect(queued).toEqual([]);
        expect(active).toEqual([]);
        for (const slot of timers) expect(engine.retryDue(run, slot.taskId, slot.attempt)).toEqual([]);
      }),
      { numRuns: 500, seed: SEED },
    );
  });

  it('a run where every attempt succeeds succeeds', () => {
    fc.assert(
      fc.property(planArb, (data) => {
        const plan = compile(data);
        const engine = new RunEngine(plan, { now: () => 0 });
        const run = engine.createView('r');
        const todo = engine.start(run).filter((e) => e.kind === 'enqueue');
        while (todo.length) {
          const e = todo.shift()!;
          if (e.kind !== 'enqueue') continue;
          engine.dispatched(run, e.taskId, e.attempt, 'n');
          todo.push(...engine.finished(run, { taskId: e.taskId, attempt: e.attempt, outcome: 'succeeded', exitCode: 0, finishedAt: 0 }).filter((x) => x.kind === 'enqueue'));
        }
        expect(run.state).toBe('succeeded');
        expect(run.tasks.every((t) => t.state === 'succeeded' && t.attempt === 1)).toBe(true);
      }),
      { numRuns: 100, seed: SEED },
    );
  });
});
