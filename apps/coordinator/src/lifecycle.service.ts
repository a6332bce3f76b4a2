import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Estimates } from './estimates.service.js';
import { EventBus } from './event-bus.js';
import { type AttemptReport, placedElsewhere } from './fencing.js';
import { LivenessService } from './liveness.service.js';
import { Metrics } from './metrics.js';
import { NatsGateway } from './nats.gateway.js';
import { NodeRegistry } from './node-registry.js';
import { Orchestrator } from './orchestrator.js';
import { OutputRing } from './output-ring.js';
import { Reconciler } from './reconciler.js';
import { RunTable } from './run-table.js';
import { RunsService } from './runs.service.js';
import { Scaling } from './scaling.service.js';
import { SchedulesService } from './schedules.service.js';
import { BusAuthorization } from './security/bus-authorization.service.js';
import { EnrolmentService } from './security/enrolment.service.js';

/** Wires NATS subscriptions to the services at start, and the liveness sweep. */
@Injectable()
export class LifecycleService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('coordinator');

  constructor(
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
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.busAuth.syncAtStart();
    await this.nats.start();
    await this.enrolment.start();
    await this.estimates.load();
    const topo = this.nats.topo;
    this.nats.subscribe('heartbeat', topo.allHeartbeats, (hb, subject) => {
      if (subject !== topo.heartbeat(hb.nodeId)) return this.metrics.malformed('heartbeat-subject');
      this.liveness.heartbeatFrom(hb.nodeId, this.nodes.heartbeat(hb, Date.now()));
      this.reconciler.onHeartbeat(hb, Date.now());
      this.orchestrator.kick();
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
    // runs are back in memory before the first status report is read: a report of a run not yet
    // recovered would otherwise be dropped as unknown (and acked)
    await this.runs.recover();
    await this.nats.consumeStatus(async (s, subject) => {
      if (subject !== topo.status(s.nodeId)) {
        this.metrics.malformed('status-subject');
        return;
      }
      await this.orchestrator.onStatus(s);
    });
    await this.nats.consumeUndeliverable((task, deliveries) => this.orchestrator.undeliverable(task, deliveries));
    this.metrics.gauge('shoal_queue_depth', () => this.orchestrator.placer.depth());
    this.metrics.gauge('shoal_nodes_alive', () => this.nodes.list().filter((n) => n.state === 'alive').length);
    this.liveness.start();
    await this.scaling.start();
    this.schedules.start();
    this.log.log('ready');
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
