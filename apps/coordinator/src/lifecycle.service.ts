import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AgentStates } from './agent-state/agent-states.service.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config.js';
import { Estimates } from './estimates.service.js';
import { EventBus } from './event-bus.js';
import { failpoints } from './failpoints.js';
import { type AttemptReport, placedElsewhere } from './fencing.js';
import { LeadershipService } from './leadership/leadership.service.js';
import { LivenessService } from './liveness.service.js';
import { Metrics } from './metrics.js';
import { NatsGateway, STATUS_ACK_WAIT_MS } from './nats.gateway.js';
import { NodeRegistry } from './node-registry.js';
import { Orchestrator } from './orchestrator.js';
import { OutputRing } from './output-ring.js';
import { Reconciler } from './reconciler.js';
import { RunTable } from './run-table.js';
import { RunsService } from './runs.service.js';
import { Scaling } from './scaling/scaling.service.js';
import { SchedulesService } from './schedules.service.js';
import { BusAuthorization } from './security/bus-authorization.service.js';
import { EnrolmentService } from './security/enrolment.service.js';

/** How long a step of taking up the lead is retried through JetStream errors. */
const LEAD_STEP_RETRY_MS = 60_000;

/**
 * Wires NATS subscriptions to the services at start. Every replica follows heartbeats, output
 * and check-ins (its API answers reads); only the leader (see {@link LeadershipService}) recovers
 * runs, consumes status, judges liveness, reconciles, dispatches, scales and fires schedules.
 */
@Injectable()
export class LifecycleService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('coordinator');
  /** When this process took over from an earlier leader (undefined: it is not leading, or nobody led before). */
  private tookOverAt?: number;

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly nats: NatsGateway,
    private readonly nodes: NodeRegistry,
    private readonly orchestrator: Orchestrator,
    private readonly runs: RunsService,
    private readonly bus: EventBus,
    private readonly metrics: Metrics,
    private readonly ring: OutputRing,
    private readonly estimates: Estimates,
    private readonly scaling: Scaling,
    private readonly schedules: SchedulesService,
    private readonly reconciler: Reconciler,
    private readonly busAuth: BusAuthorization,
    private readonly enrolment: EnrolmentService,
    private readonly table: RunTable,
    private readonly liveness: LivenessService,
    private readonly leadership: LeadershipService,
    private readonly agents: AgentStates,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.busAuth.syncAtStart();
    await this.nats.start();
    await this.enrolment.start();
    await this.estimates.load();
    const topo = this.nats.topo;
    this.nats.subscribe('heartbeat', topo.allHeartbeats, (hb, subject) => {
      if (subject !== topo.heartbeat(hb.nodeId)) return this.metrics.malformed('heartbeat-subject');
      const back = this.nodes.heartbeat(hb, Date.now());
      this.agents.heartbeat(hb, Date.now());
      if (!this.leadership.active) return; // a standby only keeps its node list current
      this.liveness.heartbeatFrom(hb.nodeId, back);
      this.reconciler.onHeartbeat(hb, Date.now(), this.judgeFrom(Date.now()));
      if (back) this.orchestrator.kick();
      else this.orchestrator.kickSoon(); // a routine pulse: one round per 100 ms at most
    });
    this.nats.subscribe('output', topo.allOutput, (o, subject) => {
      if (subject !== topo.output(o.nodeId, o.runId, o.taskId)) return this.metrics.malformed('output-subject');
      if (this.foreign(o.runId, o)) return this.metrics.malformed('output-foreign-node');
      this.ring.push(o);
      this.bus.emit({ type: 'output', runId: o.runId, taskId: o.taskId, attempt: o.attempt, text: o.text, at: Date.now() });
    });
    this.nats.subscribe('checkin', topo.allCheckins, (c, subject) => {
      if (subject !== topo.checkin(c.nodeId, c.runId, c.taskId)) return this.metrics.malformed('checkin-subject');
      if (this.foreign(c.runId, c)) return this.metrics.malformed('checkin-foreign-node');
      this.bus.emit({ type: 'checkin', runId: c.runId, taskId: c.taskId, attempt: c.attempt, seq: c.seq, state: c.state, verified: c.verified, reply: c.reply, at: c.capturedAt });
    });
    this.metrics.observe('queueDepth', () => this.orchestrator.placer.depth());
    this.metrics.observe('leader', () => (this.leadership.active ? 1 : 0));
    this.orchestrator.mayDispatch = () => this.leadership.active;
    this.scaling.mayAct = () => this.leadership.active;
    this.schedules.mayAct = () => this.leadership.active;
    // a lone coordinator wins the lease on the first pulse and has taken up its duties here
    await this.leadership.start({
      promoted: ({ fresh }) => this.lead(fresh),
      suspended: () => this.liveness.stop(),
      resumed: () => {
        this.liveness.start();
        this.orchestrator.kick();
      },
    });
    const { role, term } = this.leadership.status();
    this.log.log(`ready (${role}, term ${term})`);
  }

  /**
   * The leader's duties, taken up once per process (a deposed leader exits). Runs are back in
   * memory before the first status report is read: a report of a run not yet recovered would
   * otherwise be dropped as unknown (and acked).
   */
  private async lead(fresh: boolean): Promise<void> {
    const topo = this.nats.topo;
    if (!fresh) {
      this.tookOverAt = Date.now();
      await this.step('load the runtime estimates', () => this.estimates.load()); // what the previous leader learned while this one stood by
    }
    await this.step('recover runs from KV', () => this.runs.recover());
    this.table.startPageSweeps();
    // a standby drops what heartbeats mean to a leader: a node heard from now, that the previous
    // leader had given up on, is back (it keeps the attempts kept for it, `on_node_lost: wait`)
    const now = Date.now();
    const heard = this.nodes.list().filter((n) => now - n.receivedAt <= 2 * n.heartbeat.pulseMs);
    for (const n of heard) this.liveness.heartbeatFrom(n.id, true);
    this.log.log(`leading with ${heard.length} node(s) heard from in their last two pulses${heard.length ? `: ${heard.map((n) => n.id).join(', ')}` : ''}`);
    await this.step('consume status', () => this.nats.consumeStatus(async (s, subject) => {
      if (subject !== topo.status(s.nodeId)) {
        this.metrics.malformed('status-subject');
        return;
      }
      await this.leadership.whenActive(); // held (unacked) while the lease is not renewed
      await failpoints.hit('before-status-store');
      await this.orchestrator.onStatus(s);
    }));
    await this.step('consume undeliverable work', () => this.nats.consumeUndeliverable(async (task, deliveries) => {
      await this.leadership.whenActive();
      await this.orchestrator.undeliverable(task, deliveries);
    }));
    if (this.leadership.active) this.liveness.start(); // else it starts when the lease is renewed
    await this.scaling.start();
    this.schedules.start();
    this.orchestrator.kick();
  }

  /**
   * One JetStream-dependent step of taking up the lead (each is idempotent until it succeeds):
   * retried while JetStream recovers (a leader elected as quorum comes back finds its streams
   * still electing their own leaders), for up to a minute, then the error stands.
   */
  private async step<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + LEAD_STEP_RETRY_MS;
    for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
      try {
        return await fn();
      } catch (e) {
        if (Date.now() + delay > deadline) throw e;
        this.log.warn(`could not ${what} yet, retrying in ${delay} ms: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /**
   * Since when the reconciler may count a node's silence about an attempt: the liveness gate's
   * time, but for a leader that took over not before every report a dead predecessor had received
   * and not acked is delivered again (the status consumer's ack wait after the promotion); else a
   * finished attempt whose report is still on its way would be declared lost and run again.
   */
  private judgeFrom(now: number): number | undefined {
    const gate = this.liveness.judgeFrom(now);
    if (gate === undefined || this.tookOverAt === undefined) return gate;
    return Math.max(gate, this.tookOverAt + STATUS_ACK_WAIT_MS - this.config.nodeTtlMs);
  }

  /** Output or a check-in about an attempt placed on another node (see {@link placedElsewhere}). */
  private foreign(runId: string, r: AttemptReport): boolean {
    const run = this.table.get(runId);
    return !!run && placedElsewhere(run.view, r) !== undefined;
  }

  onModuleDestroy(): void {
    this.liveness.stop();
  }
}
