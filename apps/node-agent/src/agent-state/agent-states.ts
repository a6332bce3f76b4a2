import type { AgentStateName, AgentStatus, TaskDispatched } from '@shoal/protocol';
import { type Detection, StateDetector } from '../presets/detector.js';
import { isInteractiveTask, presetOfTask } from '../presets/index.js';
import type { AttemptState } from '../task-attempt.js';

/** What the tracker needs to know of a running attempt (a TaskAttempt satisfies it). */
export interface WatchedAttempt {
  readonly key: string;
  readonly task: TaskDispatched;
  readonly paneId?: string;
  readonly state: AttemptState;
}

/** Dependencies of {@link AgentStates}. */
export interface AgentStatesDeps {
  /** The visible screen of a pane (one `capture-pane`, argv, no history). */
  capture(paneId: string): Promise<string>;
  now(): number;
  /** Overrides every preset's stall time (`SHOAL_STALL_MS`; tests, demos). */
  stallMs?: number;
  /** Told of every state change of an attempt already tracked (not of its first state). */
  onChange?(attempt: WatchedAttempt, change: { from: AgentStateName; to: AgentStateName; unchangedSince: number; now: number }): void;
  /** Told when an attempt is no longer running here (its key). */
  onForget?(key: string): void;
  /** Told of every screen read of an interactive agent, with its state and how long it has been stable (menu answers). */
  onScreen?(attempt: WatchedAttempt, seen: { state: AgentStateName; screen: string; stableForMs: number }): void;
}

/** The protocol state of one detection: the detector's menu flag becomes `menu`. */
export function stateOfDetection(d: Pick<Detection, 'state' | 'menu'>): AgentStateName {
  return d.menu && d.state === 'waiting-for-input' ? 'menu' : d.state;
}

interface Tracked {
  attempt: number;
  paneId?: string;
  detector?: StateDetector;
  status: AgentStatus;
}

/**
 * Live agent state of the attempts running on this node, refreshed once per pulse (by the
 * heartbeat): an interactive task's pane is captured once and read by its preset's detector;
 * a plain command is `starting` until its process runs, then `working` while it is alive.
 * `since` is when the state last changed (node clock). A failed capture keeps the last state.
 */
export class AgentStates {
  private readonly tracked = new Map<string, Tracked>();
  private refreshing?: Promise<void>;

  constructor(private readonly deps: AgentStatesDeps) {}

  /** The latest state of an attempt (by key `run/task`), if one was observed. */
  of(key: string, attempt?: number): AgentStatus | undefined {
    const t = this.tracked.get(key);
    return t && (attempt === undefined || t.attempt === attempt) ? t.status : undefined;
  }

  /**
   * When the attempt's screen last changed (animation ignored, see `stabilityKey`), as its detector
   * last saw it at a pulse (node clock); undefined for a plain command or an attempt not observed yet.
   */
  screenChangedAt(key: string, attempt?: number): number | undefined {
    const t = this.tracked.get(key);
    return t?.detector && (attempt === undefined || t.attempt === attempt) ? t.detector.last.unchangedSinceMs : undefined;
  }

  /** Observes every attempt once; forgets attempts no longer running. A refresh in progress is joined, not doubled. */
  refresh(attempts: readonly WatchedAttempt[]): Promise<void> {
    this.refreshing ??= this.observeAll(attempts).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async observeAll(attempts: readonly WatchedAttempt[]): Promise<void> {
    const live = new Set(attempts.map((a) => a.key));
    for (const key of this.tracked.keys()) {
      if (live.has(key)) continue;
      this.tracked.delete(key);
      this.deps.onForget?.(key);
    }
    await Promise.all(attempts.map((a) => this.observe(a)));
  }

  private async observe(a: WatchedAttempt): Promise<void> {
    let t = this.tracked.get(a.key);
    if (!t || t.attempt !== a.task.attempt || t.paneId !== a.paneId) {
      // a new attempt, or the same one in a new pane (restarted agent): a fresh detector
      const detector = isInteractiveTask(a.task) ? new StateDetector(presetOfTask(a.task), { now: this.deps.now, ...(this.deps.stallMs ? { stallMs: this.deps.stallMs } : {}) }) : undefined;
      const previous = t?.attempt === a.task.attempt ? t.status : undefined;
      t = { attempt: a.task.attempt, paneId: a.paneId, detector, status: previous ?? { state: 'starting', since: this.deps.now() } };
      this.tracked.set(a.key, t);
    }
    const next = await this.read(a, t);
    if (!next || next === t.status.state || this.tracked.get(a.key) !== t) return;
    const from = t.status.state;
    const now = this.deps.now();
    t.status = { state: next, since: now };
    this.deps.onChange?.(a, { from, to: next, unchangedSince: t.detector?.last.unchangedSinceMs ?? now, now });
  }

  private async read(a: WatchedAttempt, t: Tracked): Promise<AgentStateName | undefined> {
    if (a.state === 'exited') return 'done';
    if (a.state === 'starting' || !a.paneId) return 'starting';
    if (!t.detector) return 'working';
    let screen: string;
    try {
      screen = await this.deps.capture(a.paneId);
    } catch {
      return undefined;
    }
    // the attempt is in the running table, so its process runs: `dead` is never set here
    const state = stateOfDetection(t.detector.observe({ screen, dead: false }));
    this.deps.onScreen?.(a, { state, screen, stableForMs: this.deps.now() - t.detector.last.unchangedSinceMs });
    return state;
  }
}
