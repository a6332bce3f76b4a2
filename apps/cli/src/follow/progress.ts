import { type AgentStateName, NEEDS_OPERATOR, type PhaseState, type RunEvent, type RunState, type RunView, type TaskState, type TaskView } from '@shoal/protocol';

/** A run event as `shoal run --follow` shows it; `replayed` when it was rebuilt from a snapshot (it happened before the stream was open). */
export type FollowEvent = RunEvent & { replayed?: true };

/** What the follower knows of one phase, for its progress bar. */
export interface PhaseProgress {
  id: string;
  state: PhaseState;
  total: number;
  /** Tasks that ended (succeeded, failed, skipped, cancelled). */
  done: number;
  running: number;
  failed: number;
  /** Running agents whose state needs an operator (waiting for input, menu, stalled, error). */
  needsYou?: number;
  /** Since the phase started (0 before); up to its end once it ended. */
  elapsedMs: number;
  /** Expected time left, from the learned estimates; undefined when a task's kind has none. */
  etaMs?: number;
}

const TASK_ENDED: readonly TaskState[] = ['succeeded', 'failed', 'skipped', 'cancelled'];

interface TaskMemo {
  phaseId: string;
  attempt: number;
  state: TaskState;
  startedAt?: number;
  finishedAt?: number;
  agent?: AgentStateName;
}

interface PhaseMemo {
  state: PhaseState;
  startedAt?: number;
  finishedAt?: number;
}

/** Options of {@link RunProgress}. */
export interface RunProgressOptions {
  /** Expected duration of a task (learned estimate of its kind), undefined when unknown. */
  estimateMs?(taskId: string): number | undefined;
}

/**
 * The state of a followed run, rebuilt from the snapshots and events of its stream, so that no
 * change is ever lost: a snapshot yields the changes it shows that were not seen as events yet
 * (a task already running, even already finished, when the stream opened: its `running` is
 * replayed from `startedAt`), and an event already known from a snapshot is not repeated. Pure.
 */
export class RunProgress {
  runId = '';
  state: RunState = 'pending';
  submittedAt = 0;
  private readonly tasks = new Map<string, TaskMemo>();
  private readonly phaseMemo = new Map<string, PhaseMemo>();

  constructor(private readonly options: RunProgressOptions = {}) {}

  /** Takes a snapshot; returns the changes it shows that were not seen yet, oldest first. */
  snapshot(v: RunView, now: number): FollowEvent[] {
    this.runId = v.id;
    this.submittedAt = v.submittedAt;
    const out: FollowEvent[] = [];
    const runId = v.id;
    for (const p of v.phases) {
      const was = this.phaseMemo.get(p.id)?.state ?? 'pending';
      this.phaseMemo.set(p.id, { state: p.state, startedAt: p.startedAt, finishedAt: p.finishedAt });
      if (was === p.state) continue;
      if (was === 'pending' && p.state !== 'running' && p.startedAt !== undefined) {
        out.push({ type: 'phase', runId, phaseId: p.id, state: 'running', at: p.startedAt, replayed: true });
      }
      out.push({ type: 'phase', runId, phaseId: p.id, state: p.state, reason: p.reason, at: p.finishedAt ?? p.startedAt ?? now, replayed: true });
    }
    for (const t of v.tasks) out.push(...this.taskFromSnapshot(runId, t, now));
    if (v.state !== this.state) out.push({ type: 'run', runId, state: v.state, reason: v.reason, at: v.finishedAt ?? v.startedAt ?? now, replayed: true });
    this.state = v.state;
    return out.sort((a, b) => a.at - b.at);
  }

  /** Takes one live event; returns it when it is news, [] when a snapshot showed it already (or it is stale). */
  event(e: RunEvent): FollowEvent[] {
    switch (e.type) {
      case 'run':
        if (e.state === this.state) return [];
        this.state = e.state;
        return [e];
      case 'phase': {
        const p = this.phaseMemo.get(e.phaseId);
        if (p?.state === e.state) return [];
        if (p) {
          p.state = e.state;
          if (e.state === 'running') p.startedAt ??= e.at;
          else if (e.state !== 'pending' && e.state !== 'awaiting-operator') p.finishedAt ??= e.at;
        } else this.phaseMemo.set(e.phaseId, { state: e.state, startedAt: e.at });
        return [e];
      }
      case 'task': {
        const t = this.tasks.get(e.taskId);
        if (t && (e.attempt < t.attempt || (e.attempt === t.attempt && e.state === t.state))) return [];
        const next: TaskMemo = t && t.attempt === e.attempt ? t : { phaseId: e.phaseId, attempt: e.attempt, state: e.state };
        next.state = e.state;
        if (e.state === 'running') next.startedAt = e.at;
        if (TASK_ENDED.includes(e.state)) next.finishedAt = e.at;
        if (e.state !== 'running') next.agent = undefined;
        this.tasks.set(e.taskId, next);
        return [e];
      }
      case 'agent': {
        const t = this.tasks.get(e.taskId);
        if (t && t.attempt === e.attempt && t.state === 'running') t.agent = e.state;
        return [e];
      }
      default:
        return [e];
    }
  }

  /** The phases in plan order with their progress at `now`. */
  phases(now: number): PhaseProgress[] {
    return [...this.phaseMemo].map(([id, p]) => {
      const tasks = [...this.tasks.values()].filter((t) => t.phaseId === id);
      const left = tasks.filter((t) => !TASK_ENDED.includes(t.state)).length;
      const elapsedMs = p.startedAt === undefined ? 0 : Math.max(0, (p.finishedAt ?? now) - p.startedAt);
      return {
        id,
        state: p.state,
        total: tasks.length,
        done: tasks.length - left,
        running: tasks.filter((t) => t.state === 'running').length,
        failed: tasks.filter((t) => t.state === 'failed').length,
        needsYou: tasks.filter((t) => t.state === 'running' && t.agent !== undefined && NEEDS_OPERATOR.has(t.agent)).length,
        elapsedMs,
        etaMs: this.eta(id, now),
      };
    });
  }

  /** Tasks left run side by side: the phase ends when the longest of them does (an estimate, not a promise). */
  private eta(phaseId: string, now: number): number | undefined {
    let eta = 0;
    for (const [id, t] of this.tasks) {
      if (t.phaseId !== phaseId || TASK_ENDED.includes(t.state)) continue;
      const est = this.options.estimateMs?.(id);
      if (est === undefined) return undefined;
      eta = Math.max(eta, t.state === 'running' && t.startedAt !== undefined ? Math.max(0, est - (now - t.startedAt)) : est);
    }
    return eta;
  }

  private taskFromSnapshot(runId: string, t: TaskView, now: number): FollowEvent[] {
    const known = this.tasks.get(t.id);
    this.tasks.set(t.id, { phaseId: t.phaseId, attempt: t.attempt, state: t.state, startedAt: t.startedAt, finishedAt: t.finishedAt, agent: t.agent?.state });
    if (known && (known.attempt > t.attempt || (known.attempt === t.attempt && known.state === t.state))) {
      if (known.attempt > t.attempt) this.tasks.set(t.id, known);
      return [];
    }
    if (!known && t.state === 'pending') return [];
    const base = { type: 'task' as const, runId, taskId: t.id, phaseId: t.phaseId, attempt: t.attempt, replayed: true as const };
    const out: FollowEvent[] = [];
    const sawRunning = known?.attempt === t.attempt && (known.state === 'running' || TASK_ENDED.includes(known.state));
    if (t.startedAt !== undefined && t.state !== 'running' && !sawRunning && t.nodeId) {
      out.push({ ...base, state: 'running', nodeId: t.nodeId, at: t.startedAt });
    }
    const at = t.finishedAt ?? (t.state === 'running' ? t.startedAt : undefined) ?? t.dispatchedAt ?? t.queuedAt ?? now;
    out.push({ ...base, state: t.state, nodeId: t.nodeId, exitCode: t.exitCode, reason: t.reason, at });
    return out;
  }
}
