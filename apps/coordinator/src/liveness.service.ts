import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Breakers } from './breakers.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config.js';
import { LivenessGate, gateTiming } from './liveness-gate.js';
import { Metrics } from './metrics.js';
import { NatsGateway } from './nats.gateway.js';
import { NodeRegistry } from './node-registry.js';
import { Orchestrator } from './orchestrator.js';

/**
 * Judges node liveness every pulse, but only while the coordinator's own bus probe says it can
 * (see {@link LivenessGate}): an outage of the bus, or a stall of the coordinator, is not taken
 * for the death of every node. Started by the coordinator that leads, stopped when it no longer does.
 */
@Injectable()
export class LivenessService implements OnModuleDestroy {
  private readonly log = new Logger('liveness');
  private readonly timing;
  private gate: LivenessGate;
  private timer?: NodeJS.Timeout;
  private probing = false;
  private suspended?: string;
  /** Whether judging ran since start (before that, a suspension is just the start-up). */
  private judgedOnce = false;

  constructor(
    @Inject(COORDINATOR_CONFIG) config: CoordinatorConfig,
    private readonly nats: NatsGateway,
    private readonly nodes: NodeRegistry,
    private readonly orchestrator: Orchestrator,
    private readonly breakers: Breakers,
    private readonly metrics: Metrics,
  ) {
    this.timing = gateTiming(config.nodeTtlMs);
    this.gate = new LivenessGate(this.timing);
    this.metrics.observe('livenessJudging', () => (this.gate.judgeFrom(Date.now()) === undefined ? 0 : 1));
  }

  /** Starts judging afresh: nobody is judged before the first good probe, and silence counts from it. */
  start(): void {
    this.stop();
    this.gate = new LivenessGate(this.timing);
    this.suspended = undefined;
    this.judgedOnce = false;
    this.timer = setInterval(() => this.pulse(), this.timing.pulseMs);
    this.pulse();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Since when silence counts (undefined while nobody may be judged); see {@link LivenessGate.judgeFrom}. */
  judgeFrom(now: number): number | undefined {
    return this.gate.judgeFrom(now);
  }

  /** Why liveness judging is suspended right now, if it is. */
  suspendedBecause(): string | undefined {
    return this.gate.suspendedBecause(Date.now());
  }

  /** A node heartbeat arrived: a node that was lost is back, and keeps what it kept running. */
  heartbeatFrom(nodeId: string, back: boolean): void {
    if (back) this.orchestrator.nodeBack(nodeId);
  }

  onModuleDestroy(): void {
    this.stop();
  }

  private pulse(): void {
    const now = Date.now();
    this.gate.tick(now);
    this.probe();
    this.report(now);
    for (const id of this.nodes.sweep(now, this.gate.judgeFrom(now))) this.orchestrator.nodeLost(id);
    this.breakers.poll();
    this.orchestrator.kick();
  }

  private probe(): void {
    if (this.probing) return;
    this.probing = true;
    void this.nats
      .ping(this.timing.probeTimeoutMs)
      .then((ok) => this.gate.probed(ok, Date.now(), `no answer from the bus within ${this.timing.probeTimeoutMs} ms`))
      .finally(() => (this.probing = false));
  }

  private report(now: number): void {
    const why = this.gate.suspendedBecause(now);
    if (why === this.suspended) return;
    const was = this.suspended;
    this.suspended = why;
    if (!this.judgedOnce) {
      this.judgedOnce = why === undefined;
      return;
    }
    if (why) this.log.warn(`liveness judging suspended: ${why}; no node is declared lost until the bus answers again`);
    else this.log.log(`liveness judging resumed (was suspended: ${was}); silence counts from now`);
  }
}
