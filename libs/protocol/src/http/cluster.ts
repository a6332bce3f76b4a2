import type { ScaleDecided } from '../messages.js';

/** A coordinator replica's role. `standby`: not leading; `leader`: holds a lease it renewed recently; `suspended`: holds it but could not renew in time; `deposed`: lost it. */
export type LeaderRole = 'standby' | 'leader' | 'suspended' | 'deposed';

/** `GET /leader`: this replica's view of the election. */
export interface LeaderStatus {
  role: LeaderRole;
  term: number;
  coordinatorId: string;
  url: string;
  /** The lease as last read (whoever holds it); absent before the first read. */
  leader?: { coordinatorId: string; url: string; term: number; renewedAt: number; released: boolean };
}

/** `GET /healthz` (public): 200 while NATS is connected, 503 otherwise; `leader`: the lease holder's URL unless released. */
export interface HealthReply {
  ok: boolean;
  nats: 'connected' | 'disconnected';
  role: LeaderRole;
  term: number;
  leader?: string;
}

/** The placement queue as `GET /scaling` shows it. */
export interface QueueStats {
  depth: number;
  oldestWaitMs: number;
  /** Queued tasks per run id. */
  byRun: Record<string, number>;
}

/** What the coordinator observes about the fleet when asking for a scaling decision (the autoscaler's input; `GET /scaling`). */
export interface FleetSignal {
  now: number;
  /** Live nodes now. */
  nodes: number;
  queueDepth: number;
  oldestWaitMs: number;
  running: number;
  /** Committed CPU over CPU capacity across live nodes, 0..1 (capacity already is the band's upper bound). */
  cpuUtilisation: number;
  /** Expected duration of a queued task (from the runtime estimates). */
  expectedTaskMs: number;
  /** Task slots a node offers (average). */
  slotsPerNode: number;
  /**
   * Queued tasks that wait for room more nodes would give (full, CPU, memory, task limit,
   * anti-affinity, no live node), as opposed to a missing label or an open preset breaker.
   * Absent: every queued task counts.
   */
  waitingForRoom?: number;
}

/** One attempt of the scale actuator to set the fleet size (`GET /scaling`, docs/scaling.md). */
export interface ScaleAction {
  actuator: 'kubernetes' | 'command';
  /** When the attempt ended (ms since the epoch). */
  at: number;
  /** The size asked for (the decision's desired count within the actuator's bounds). */
  target: number;
  /** The size found before acting (Deployment replicas; the live node count for a command). */
  before?: number;
  /** `applied`: the size was changed; `unchanged`: already there; `failed`: retried on the next decision. */
  outcome: 'applied' | 'unchanged' | 'failed';
  /** What happened: the API's answer, or the command's exit status and output tail. */
  detail: string;
  /** Error code of a failure (`E_TRANSPORT`, `E_TIMEOUT`, ...). */
  code?: string;
}

/** The scale actuator as `GET /scaling` shows it. */
export interface ScaleActuatorView {
  kind: 'none' | 'kubernetes' | 'command';
  /** The size the latest up/down decision asked for, within bounds; what the actuator works towards. */
  target?: number;
  /** The latest attempt and its outcome. */
  last?: ScaleAction;
  /** No new change before this time (ms since the epoch) after an applied one. */
  coolDownUntil?: number;
}

/** `GET /scaling`: the latest decision, the signal it came from, the actuator, and the queue now. */
export interface ScalingReply {
  decision?: ScaleDecided;
  signal?: FleetSignal;
  intervalMs: number;
  actuator?: ScaleActuatorView;
  queue: QueueStats;
}

/** States of a circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** A breaker's state for metrics and status pages. */
export interface BreakerSnapshot {
  state: BreakerState;
  failuresInWindow: number;
  openedAt?: number;
  halfOpenAt?: number;
}

/** A state change, for events and metrics. */
export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  reason: string;
}

/** A breaker state change as `GET /breakers` lists it: which breaker, and when. */
export interface BreakerChange extends BreakerTransition {
  kind: 'node' | 'agent preset';
  key: string;
  at: number;
}

/** `GET /breakers`: breakers not closed per node id and per agent preset, and the latest changes. */
export interface BreakersReply {
  nodes: Record<string, BreakerSnapshot>;
  presets: Record<string, BreakerSnapshot>;
  changes: BreakerChange[];
}

/** Learned duration of one task kind. */
export interface KindEstimate {
  ewmaMs: number;
  samples: number;
}

/** `GET /estimates`: learned run times by task kind (`team/role/program`). */
export type EstimatesReply = Record<string, KindEstimate>;
