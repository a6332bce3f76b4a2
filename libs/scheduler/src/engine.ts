import { ConflictError, type PhaseView, type RunView, TERMINAL_PHASE, TERMINAL_RUN, TERMINAL_TASK, type TaskState, type TaskView } from '@shoal/protocol';
import type { CompiledPlan } from './graph.js';
import type { AttemptResult, CacheHit, Effect, EngineOptions, OperatorAction } from './engine-types.js';
import { RunTransitions, findTask, tasksOfPhase } from './run-transitions.js';

/**
 * The run state machine. It owns no I/O: each call mutates the given RunView along the
 * explicit lifecycles and returns the effects the caller must carry out.
 * Phases start when all their dependencies succeeded; tasks when their in-phase dependencies did.
 */
export class RunEngine extends RunTransitions {
  constructor(
    private readonly plan: CompiledPlan,
    opts: EngineOptions,
  ) {
    super(opts);
  }

  /** A fresh, pending view of a run of this plan. */
  createView(runId: string, traceId?: string): RunView {
    const now = this.opts.now();
    return {
      id: runId,
      plan: this.plan.name,
      state: 'pending',
      submittedAt: now,
      traceId,
      phases: this.plan.order.map((id): PhaseView => ({ id, state: 'pending', dependsOn: [...this.plan.phases.get(id)!.dependsOn] })),
      tasks: this.plan.order.flatMap((pid) =>
        this.plan.phases.get(pid)!.taskIds.map((tid): TaskView => {
          const t = this.plan.tasks.get(tid)!;
          return { id: t.id, phaseId: pid, team: t.team, role: t.role, state: 'pending', attempt: 0, maxAttempts: t.maxAttempts };
        }),
      ),
    };
  }

  /** Starts the run: every phase without dependencies begins. */
  start(run: RunView): Effect[] {
    const fx: Effect[] = [];
    this.setRun(run, 'running', fx);
    run.startedAt = this.opts.now();
    this.advance(run, fx);
    return fx;
  }

  /**
   * Picks a run up again after a coordinator restart: queued attempts are queued again (same
   * attempt number, so a re-publish is deduplicated), retries that were waiting are due now.
   */
  resume(run: RunView): Effect[] {
    const fx: Effect[] = [];
    for (const t of run.tasks) {
      if (t.state === 'queued') fx.push({ kind: 'enqueue', taskId: t.id, attempt: t.attempt });
      if (t.state === 'retry-wait') fx.push({ kind: 'retry-after', taskId: t.id, attempt: t.attempt, delayMs: 0 });
      if (t.nodeLostAt !== undefined) fx.push(this.lostDeadlineEffect(t, t.nodeLostAt));
    }
    this.advance(run, fx);
    return fx;
  }

  /** The task was published to a node. */
  dispatched(run: RunView, taskId: string, attempt: number, nodeId: string): Effect[] {
    const t = this.task(run, taskId);
    if (t.attempt !== attempt || t.state !== 'queued') return [];
    const fx: Effect[] = [];
    t.nodeId = nodeId;
    t.dispatchedAt = this.opts.now();
    t.waitingReason = undefined;
    this.setTask(run, t, 'dispatched', fx);
    return fx;
  }

  /** The placer could not place the task yet; remember why. */
  waiting(run: RunView, taskId: string, reason: string): void {
    const t = findTask(run, taskId);
    if (t && t.state === 'queued') t.waitingReason = reason;
  }

  /** The node reported the process running. Stale attempts are ignored. */
  started(run: RunView, taskId: string, attempt: number, startedAt: number, nodeId: string): Effect[] {
    const t = this.task(run, taskId);
    if (t.attempt !== attempt || (t.state !== 'dispatched' && t.state !== 'queued')) return [];
    const fx: Effect[] = [];
    if (t.state === 'queued') this.setTask(run, t, 'dispatched', fx);
    t.nodeId = nodeId;
    t.startedAt = startedAt;
    this.setTask(run, t, 'running', fx);
    return fx;
  }

  /** The attempt ended. A result for a stale attempt, or for a task already terminal, is rejected (empty effects). */
  finished(run: RunView, r: AttemptResult): Effect[] {
    const t = this.task(run, r.taskId);
    if (t.attempt !== r.attempt) return this.lateResult(run, t, r);
    if (t.state === 'cancelled') return this.cancelledAttemptEnded(t, r);
    if (t.state !== 'dispatched' && t.state !== 'running') return [];
    const fx: Effect[] = [];
    if (r.outcome === 'lost' && t.nodeLostAt !== undefined) {
      // a node cut off for its lost_after stopped the attempt it kept (stop_after): not a failure
      this.replaceAttempt(run, t, r.reason ?? `node ${t.nodeId} gave the attempt up while cut off`, fx);
      this.advance(run, fx);
      return fx;
    }
    t.nodeLostAt = undefined;
    recordEnd(t, r);
    t.reason = r.reason;
    if (r.outcome === 'succeeded') {
      this.setTask(run, t, 'succeeded', fx);
    } else if (r.outcome === 'cancelled' && TERMINAL_RUN.includes(run.state)) {
      this.setTask(run, t, 'cancelled', fx);
    } else {
      this.failAttempt(run, t, describe(r), fx);
    }
    this.advance(run, fx);
    return fx;
  }

  /**
   * A queued attempt is answered from the result cache: it succeeds without being dispatched
   * (no process starts, `startedAt` stays unset). Ignored unless that attempt is still queued.
   */
  cached(run: RunView, taskId: string, attempt: number, hit: CacheHit): Effect[] {
    const t = this.task(run, taskId);
    if (t.attempt !== attempt || t.state !== 'queued') return [];
    const fx: Effect[] = [];
    t.waitingReason = undefined;
    t.outcome = 'succeeded';
    t.exitCode = hit.exitCode ?? 0;
    t.outputTail = hit.outputTail;
    t.finishedAt = this.opts.now();
    this.setTask(run, t, 'succeeded', fx, hit.reason);
    this.advance(run, fx);
    return fx;
  }

  /** The backoff of a failed attempt has elapsed: queue the next attempt. */
  retryDue(run: RunView, taskId: string, attempt: number): Effect[] {
    const t = this.task(run, taskId);
    if (t.state !== 'retry-wait' || t.attempt !== attempt) return [];
    const fx: Effect[] = [];
    this.queue(run, t, fx);
    return fx;
  }

  /**
   * The node running these tasks is gone. Per task (`on_node_lost`): `replace` gives the attempt
   * up and queues another (not counted as a failure); `wait` keeps the attempt and asks for a
   * `lostDeadline` call after `lost_after`, so a node that comes back keeps its work.
   */
  nodeLost(run: RunView, nodeId: string): Effect[] {
    const fx: Effect[] = [];
    const now = this.opts.now();
    for (const t of run.tasks) {
      if (t.nodeId !== nodeId || (t.state !== 'dispatched' && t.state !== 'running')) continue;
      const spec = this.plan.tasks.get(t.id)!;
      if (spec.onNodeLost === 'replace') this.replaceAttempt(run, t, `node ${nodeId} lost`, fx);
      else if (t.nodeLostAt === undefined) {
        t.nodeLostAt = now;
        this.note(run, t, `node ${nodeId} lost; keeping attempt ${t.attempt} for up to ${Math.round(spec.lostAfterMs / 1000)} s (on_node_lost: wait)`, fx);
        fx.push(this.lostDeadlineEffect(t, now));
      }
    }
    this.advance(run, fx);
    return fx;
  }

  /** A lost node heartbeats again: the attempts it kept (`on_node_lost: wait`) are its own again. */
  nodeBack(run: RunView, nodeId: string): Effect[] {
    const fx: Effect[] = [];
    for (const t of run.tasks) {
      if (t.nodeId !== nodeId || t.nodeLostAt === undefined) continue;
      t.nodeLostAt = undefined;
      this.note(run, t, `node ${nodeId} is back; attempt ${t.attempt} kept`, fx);
    }
    return fx;
  }

  /**
   * A node that was lost reports an attempt given up with it still running, and the attempt that
   * replaced it has not been placed yet (queued or waiting to retry): the running one wins, the
   * replacement is dropped and nothing starts twice. Empty effects when it does not apply (the
   * caller then stops the old attempt as unwanted).
   */
  reclaim(run: RunView, taskId: string, attempt: number, nodeId: string): Effect[] {
    const t = this.task(run, taskId);
    const lost = t.lostAttempts?.find((l) => l.attempt === attempt && l.nodeId === nodeId);
    if (!lost || (t.state !== 'queued' && t.state !== 'retry-wait')) return [];
    const fx: Effect[] = [];
    const replaced = t.attempt;
    if (t.state === 'queued') fx.push({ kind: 'dequeue', taskId: t.id });
    else this.setTask(run, t, 'queued', fx);
    t.lostAttempts = t.lostAttempts!.filter((l) => l !== lost);
    t.maxAttempts = Math.max(1, t.maxAttempts - 1); // the extra attempt granted for the replacement goes with it
    t.attempt = attempt;
    t.nodeId = nodeId;
    t.waitingReason = undefined;
    t.dispatchedAt = this.opts.now();
    t.startedAt = lost.startedAt;
    this.setTask(run, t, 'dispatched', fx);
    this.setTask(run, t, 'running', fx, `node ${nodeId} came back with attempt ${attempt} still running; attempt ${replaced} dropped before it started`);
    return fx;
  }

  /** The `lost_after` bound of a kept attempt elapsed and its node is still lost: re-place the task. */
  lostDeadline(run: RunView, taskId: string, attempt: number): Effect[] {
    const t = this.task(run, taskId);
    if (t.attempt !== attempt || t.nodeLostAt === undefined || (t.state !== 'dispatched' && t.state !== 'running')) return [];
    const fx: Effect[] = [];
    const waited = Math.round((this.opts.now() - t.nodeLostAt) / 1000);
    this.replaceAttempt(run, t, `node ${t.nodeId} lost and not back after ${waited} s (lost_after)`, fx);
    this.advance(run, fx);
    return fx;
  }

  private replaceAttempt(run: RunView, t: TaskView, reason: string, fx: Effect[]): void {
    t.lostAttempts = [...(t.lostAttempts ?? []), { attempt: t.attempt, nodeId: t.nodeId!, ...(t.startedAt !== undefined ? { startedAt: t.startedAt } : {}) }].slice(-10);
    t.nodeLostAt = undefined;
    t.maxAttempts = Math.min(t.maxAttempts + 1, 100);
    t.reason = reason;
    if (t.attempt < t.maxAttempts) this.queue(run, t, fx);
    else this.failAttempt(run, t, reason, fx);
  }

  /**
   * A result of an attempt other than the current one. Rejected (stale), except the success of an
   * attempt given up only because its node was lost: completed work is never thrown away, so it
   * finishes the task and the attempt that replaced it is stopped (or dropped from the queue).
   */
  private lateResult(run: RunView, t: TaskView, r: AttemptResult): Effect[] {
    const lost = t.lostAttempts?.find((l) => l.attempt === r.attempt && l.nodeId === r.nodeId);
    const open: TaskState[] = ['queued', 'dispatched', 'running', 'retry-wait'];
    if (!lost || r.outcome !== 'succeeded' || !open.includes(t.state)) return [];
    const fx: Effect[] = [];
    const replaced = t.attempt;
    if (t.state === 'queued') fx.push({ kind: 'dequeue', taskId: t.id });
    if ((t.state === 'dispatched' || t.state === 'running') && t.nodeId) {
      fx.push({ kind: 'stop', taskId: t.id, attempt: replaced, nodeId: t.nodeId, reason: `attempt ${r.attempt} of this task already succeeded` });
    }
    t.attempt = r.attempt;
    t.nodeId = lost.nodeId;
    t.startedAt = undefined; // the replacement's start is not this attempt's
    recordEnd(t, r);
    t.waitingReason = undefined;
    this.setTask(run, t, 'succeeded', fx, `attempt ${r.attempt} succeeded on node ${lost.nodeId} while it was lost; attempt ${replaced} stopped`);
    this.advance(run, fx);
    return fx;
  }

  /**
   * The end of an attempt cancelled while it ran, reported by its node once the process exited:
   * its exit code, times and output tail are kept (what the agent printed before it was stopped).
   * The task stays cancelled: no transition, no event.
   */
  private cancelledAttemptEnded(t: TaskView, r: AttemptResult): Effect[] {
    if (t.finishedAt === undefined && r.nodeId !== undefined && t.nodeId === r.nodeId) recordEnd(t, r);
    return [];
  }

  private lostDeadlineEffect(t: TaskView, lostAt: number): Effect {
    const delayMs = Math.max(0, lostAt + this.plan.tasks.get(t.id)!.lostAfterMs - this.opts.now());
    return { kind: 'lost-deadline', taskId: t.id, attempt: t.attempt, delayMs };
  }

  /** Tells operators something about a task without changing its state. */
  private note(run: RunView, t: TaskView, reason: string, fx: Effect[]): void {
    t.reason = reason;
    fx.push({
      kind: 'event',
      event: { type: 'task', runId: run.id, taskId: t.id, phaseId: t.phaseId, state: t.state, attempt: t.attempt, nodeId: t.nodeId, reason, at: this.opts.now() },
    });
  }

  /** An operator decision on a task in `awaiting-operator`. */
  operator(run: RunView, taskId: string, action: OperatorAction): Effect[] {
    const t = this.task(run, taskId);
    if (t.state !== 'awaiting-operator') throw new ConflictError(`task ${taskId} is ${t.state}, not awaiting-operator`);
    const fx: Effect[] = [];
    const phase = this.phase(run, t.phaseId);
    if (action === 'retry') {
      t.maxAttempts = Math.min(Math.max(t.maxAttempts, t.attempt + 1), 100);
      this.queue(run, t, fx);
    } else if (action === 'skip') this.setTask(run, t, 'skipped', fx, 'skipped by operator');
    else this.setTask(run, t, 'failed', fx, t.reason ?? 'cancelled by operator');
    const waiting = run.tasks.filter((x) => x.state === 'awaiting-operator');
    if (phase.state === 'awaiting-operator' && !waiting.some((x) => x.phaseId === phase.id)) this.setPhase(run, phase, 'running', fx);
    if (run.state === 'awaiting-operator' && waiting.length === 0) this.setRun(run, 'running', fx);
    this.advance(run, fx);
    return fx;
  }

  /** Cancels the whole run: queued work is dropped, running work is stopped. */
  cancel(run: RunView, reason: string): Effect[] {
    if (TERMINAL_RUN.includes(run.state)) throw new ConflictError(`run ${run.id} is already ${run.state}`);
    const fx: Effect[] = [];
    for (const t of run.tasks) this.cancelTask(run, t, reason, fx);
    for (const p of run.phases) if (!TERMINAL_PHASE.includes(p.state)) this.setPhase(run, p, 'cancelled', fx, reason);
    this.finishRun(run, 'cancelled', reason, fx);
    return fx;
  }

  private failAttempt(run: RunView, t: TaskView, reason: string, fx: Effect[]): void {
    t.reason = reason;
    if (t.attempt < t.maxAttempts) {
      this.setTask(run, t, 'retry-wait', fx, reason);
      const delayMs = this.opts.backoffMs?.(t.attempt, t.id) ?? 0;
      fx.push({ kind: 'retry-after', taskId: t.id, attempt: t.attempt, delayMs });
      return;
    }
    const phase = this.phase(run, t.phaseId);
    const policy = this.plan.phases.get(phase.id)!.failurePolicy;
    if (policy === 'manual') {
      this.setTask(run, t, 'awaiting-operator', fx, reason);
      if (phase.state === 'running') this.setPhase(run, phase, 'awaiting-operator', fx, `task ${t.id} needs an operator: ${reason}`);
      if (run.state === 'running') this.setRun(run, 'awaiting-operator', fx, `task ${t.id} needs an operator (shoal retry|skip|cancel)`);
      return;
    }
    this.setTask(run, t, 'failed', fx, reason);
    if (policy === 'fail-fast') {
      for (const s of run.tasks) if (s.phaseId === phase.id && s !== t) this.cancelTask(run, s, `sibling task ${t.id} failed`, fx);
    }
  }

  /** Moves everything that can move: finished phases close, ready phases and tasks start, the run ends. */
  private advance(run: RunView, fx: Effect[]): void {
    if (TERMINAL_RUN.includes(run.state) || run.state === 'pending') return;
    for (let changed = true; changed; ) {
      changed = false;
      for (const p of run.phases) {
        if (p.state === 'pending') {
          const deps = p.dependsOn.map((d) => this.phase(run, d));
          const blocker = deps.find((d) => d.state === 'failed' || d.state === 'skipped' || d.state === 'cancelled');
          if (blocker) {
            this.skipPhase(run, p, `dependency ${blocker.id} ${blocker.state}`, fx);
            changed = true;
          } else if (deps.every((d) => d.state === 'succeeded')) {
            this.setPhase(run, p, 'running', fx);
            p.startedAt = this.opts.now();
            changed = true;
          }
        }
        if (p.state === 'running' || p.state === 'awaiting-operator') changed = this.advancePhase(run, p, fx) || changed;
      }
    }
    if (run.phases.every((p) => TERMINAL_PHASE.includes(p.state))) {
      const bad = run.phases.find((p) => p.state !== 'succeeded' && p.state !== 'skipped') ?? run.phases.find((p) => p.state === 'skipped');
      if (!bad) this.finishRun(run, 'succeeded', undefined, fx);
      else this.finishRun(run, 'failed', `phase ${bad.id} ${bad.state}${bad.reason ? `: ${bad.reason}` : ''}`, fx);
    }
  }

  private advancePhase(run: RunView, p: PhaseView, fx: Effect[]): boolean {
    let changed = false;
    const tasks = tasksOfPhase(run, p.id);
    for (const t of tasks) {
      if (t.state !== 'pending') continue;
      const deps = this.plan.tasks.get(t.id)!.dependsOn.map((d) => this.task(run, d));
      const blocker = deps.find((d) => TERMINAL_TASK.includes(d.state) && d.state !== 'succeeded');
      if (blocker) {
        this.setTask(run, t, 'skipped', fx, `dependency ${blocker.id} ${blocker.state}`);
        changed = true;
      } else if (deps.every((d) => d.state === 'succeeded')) {
        this.queue(run, t, fx);
        changed = true;
      }
    }
    if (p.state === 'running' && tasks.every((t) => TERMINAL_TASK.includes(t.state))) {
      const bad = tasks.find((t) => t.state === 'failed') ?? tasks.find((t) => t.state === 'cancelled');
      p.finishedAt = this.opts.now();
      if (bad) this.setPhase(run, p, 'failed', fx, `task ${bad.id} ${bad.state}${bad.reason ? `: ${bad.reason}` : ''}`);
      else this.setPhase(run, p, 'succeeded', fx);
      changed = true;
    }
    return changed;
  }

  private skipPhase(run: RunView, p: PhaseView, reason: string, fx: Effect[]): void {
    this.setPhase(run, p, 'skipped', fx, reason);
    for (const t of run.tasks) if (t.phaseId === p.id && t.state === 'pending') this.setTask(run, t, 'skipped', fx, `phase ${p.id} skipped: ${reason}`);
  }
}

/** Records how the task's current attempt ended, as its node reported it. */
function recordEnd(t: TaskView, r: AttemptResult): void {
  t.exitCode = r.exitCode;
  t.outcome = r.outcome;
  t.finishedAt = r.finishedAt;
  t.startedAt = r.startedAt ?? t.startedAt;
  t.outputTail = r.outputTail;
}

function describe(r: AttemptResult): string {
  if (r.reason) return r.reason;
  if (r.outcome === 'timed-out') return 'timed out';
  if (r.exitCode !== null) return `exited with code ${r.exitCode}`;
  return r.outcome;
}
