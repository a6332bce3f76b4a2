import {
  NotFoundError,
  PHASE_TRANSITIONS,
  type PhaseState,
  type PhaseView,
  RUN_TRANSITIONS,
  type RunState,
  type RunView,
  TASK_TRANSITIONS,
  TERMINAL_PHASE,
  TERMINAL_TASK,
  type TaskState,
  type TaskView,
  assertTransition,
} from '@shoal/protocol';
import type { Effect, EngineOptions } from './engine-types.js';

/**
 * The moves a run engine's calls are made of. Each state change asserts its lifecycle
 * transition, sets it on the view and announces it as an event effect; queueing an attempt,
 * cancelling a task and ending the run are built on them. {@link RunEngine} decides when they happen.
 */
export abstract class RunTransitions {
  protected constructor(protected readonly opts: EngineOptions) {}

  protected queue(run: RunView, t: TaskView, fx: Effect[]): void {
    t.attempt += 1;
    t.nodeId = undefined;
    t.queuedAt = this.opts.now();
    t.dispatchedAt = t.startedAt = t.finishedAt = undefined;
    this.setTask(run, t, 'queued', fx);
    fx.push({ kind: 'enqueue', taskId: t.id, attempt: t.attempt });
  }

  protected cancelTask(run: RunView, t: TaskView, reason: string, fx: Effect[]): void {
    if (TERMINAL_TASK.includes(t.state)) return;
    if (t.state === 'queued') fx.push({ kind: 'dequeue', taskId: t.id });
    if ((t.state === 'dispatched' || t.state === 'running') && t.nodeId) {
      fx.push({ kind: 'stop', taskId: t.id, attempt: t.attempt, nodeId: t.nodeId, reason });
    }
    this.setTask(run, t, t.state === 'pending' ? 'skipped' : 'cancelled', fx, reason);
  }

  protected finishRun(run: RunView, state: RunState, reason: string | undefined, fx: Effect[]): void {
    run.finishedAt = this.opts.now();
    this.setRun(run, state, fx, reason);
  }

  protected setRun(run: RunView, to: RunState, fx: Effect[], reason?: string): void {
    assertTransition(RUN_TRANSITIONS, `run ${run.id}`, run.state, to);
    run.state = to;
    run.reason = reason;
    fx.push({ kind: 'event', event: { type: 'run', runId: run.id, state: to, reason, at: this.opts.now() } });
  }

  protected setPhase(run: RunView, p: PhaseView, to: PhaseState, fx: Effect[], reason?: string): void {
    assertTransition(PHASE_TRANSITIONS, `phase ${p.id}`, p.state, to);
    p.state = to;
    p.reason = reason;
    if (TERMINAL_PHASE.includes(to)) p.finishedAt ??= this.opts.now();
    fx.push({ kind: 'event', event: { type: 'phase', runId: run.id, phaseId: p.id, state: to, reason, at: this.opts.now() } });
  }

  protected setTask(run: RunView, t: TaskView, to: TaskState, fx: Effect[], reason?: string): void {
    assertTransition(TASK_TRANSITIONS, `task ${t.id}`, t.state, to);
    t.state = to;
    if (reason !== undefined) t.reason = reason;
    fx.push({
      kind: 'event',
      event: { type: 'task', runId: run.id, taskId: t.id, phaseId: t.phaseId, state: to, attempt: t.attempt, nodeId: t.nodeId, exitCode: t.exitCode, reason, at: this.opts.now() },
    });
  }

  protected task(run: RunView, id: string): TaskView {
    const t = findTask(run, id);
    if (!t) throw new NotFoundError(`run ${run.id} has no task ${id}`);
    return t;
  }

  protected phase(run: RunView, id: string): PhaseView {
    const p = findPhase(run, id);
    if (!p) throw new NotFoundError(`run ${run.id} has no phase ${id}`);
    return p;
  }
}

/** Items by id, per array (a view's phases and tasks never change after createView). */
const indexes = new WeakMap<readonly { id: string }[], Map<string, { id: string }>>();

/** The item of `items` with this id in O(1), through an index rebuilt when the array grew or shrank. */
function byId<T extends { id: string }>(items: readonly T[], id: string): T | undefined {
  let index = indexes.get(items) as Map<string, T> | undefined;
  let item = index?.get(id);
  if (item?.id === id) return item;
  if (!index || index.size !== items.length) {
    index = new Map(items.map((x) => [x.id, x]));
    indexes.set(items, index);
    item = index.get(id);
  }
  return item;
}

/** The tasks of each phase, in task order, per tasks array (rebuilt if the array's length changed). */
const phaseTasks = new WeakMap<readonly TaskView[], { size: number; byPhase: Map<string, TaskView[]> }>();

/** The tasks of a run's phase in task order, without a walk over the run's other tasks. */
export function tasksOfPhase(run: RunView, phaseId: string): readonly TaskView[] {
  let lists = phaseTasks.get(run.tasks);
  if (!lists || lists.size !== run.tasks.length) {
    const byPhase = new Map<string, TaskView[]>();
    for (const t of run.tasks) {
      const list = byPhase.get(t.phaseId);
      if (list) list.push(t);
      else byPhase.set(t.phaseId, [t]);
    }
    lists = { size: run.tasks.length, byPhase };
    phaseTasks.set(run.tasks, lists);
  }
  return lists.byPhase.get(phaseId) ?? [];
}

/** The phase of a run by id in O(1): a run's every change checks each pending phase's dependencies. */
export function findPhase(run: RunView, id: string): PhaseView | undefined {
  return byId(run.phases, id);
}

/**
 * The task of a run by id in O(1): placement rounds ask for every queued task, and a linear
 * search per task made a round over 8 runs x 2,000 queued tasks cost ~1 s of event loop.
 */
export function findTask(run: RunView, id: string): TaskView | undefined {
  return byId(run.tasks, id);
}
