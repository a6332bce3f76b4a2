import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { PROTOCOL_VERSION, type ScaleActuatorView, type ScaleDecided } from '@shoal/protocol';
import { type AutoscaleState, Autoscaler, type FleetSignal, type ScaleDecision } from '@shoal/scheduler';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config.js';
import { Estimates } from '../estimates.service.js';
import { Metrics } from '../metrics.js';
import { NatsGateway } from '../nats.gateway.js';
import { NodeRegistry } from '../node-registry.js';
import { Orchestrator } from '../orchestrator.js';
import { RunTable } from '../run-table.js';
import { ScaleActuation, createActuator } from './actuation.js';
import { inPoolTerms } from './pool.js';
import { waitsForRoom } from './room.js';

const STATE_KEY = 'autoscale';
/**
 * Queued tasks a decision looks at one by one (expected run time, waiting reason); a deeper queue
 * is counted, and these stand for the rest: walking 100,000 of them every 5 s blocked the loop
 * for 100-200 ms at 1,000 nodes.
 */
export const SIGNAL_SAMPLE = 10_000;

/** `test(key)`, asked once per key of `seen`. */
function matchOnce(seen: Map<string, boolean>, key: string, test: (key: string) => boolean): boolean {
  let hit = seen.get(key);
  if (hit === undefined) seen.set(key, (hit = test(key)));
  return hit;
}

/** The latest decision with the signal it was made from, and the actuator (`GET /scaling`). */
export interface ScalingView {
  decision?: ScaleDecided;
  signal?: FleetSignal;
  intervalMs: number;
  actuator: ScaleActuatorView;
}

/**
 * Computes the auto-scaling decision every few seconds from queue depth, oldest wait, CPU band
 * utilisation and runtime estimates; publishes it on `<ns>.scale` and as metrics. While this
 * coordinator leads, the configured actuator (`SHOAL_SCALE_ACTUATOR`: a Deployment's replicas or an
 * operator's command, docs/scaling.md) carries the decisions out; with `none` an operator or KEDA does.
 */
@Injectable()
export class Scaling implements OnModuleDestroy {
  private readonly log = new Logger('scaling');
  private autoscaler: Autoscaler;
  private timer?: NodeJS.Timeout;
  /** Whether this coordinator leads with a fresh lease (set at start); no periodic decision while it does not. */
  mayAct: () => boolean = () => true;
  private last: Omit<ScalingView, 'actuator'>;
  private readonly actuation: ScaleActuation;

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly nats: NatsGateway,
    private readonly nodes: NodeRegistry,
    private readonly table: RunTable,
    private readonly orchestrator: Orchestrator,
    private readonly estimates: Estimates,
    private readonly metrics: Metrics,
  ) {
    this.autoscaler = this.create();
    this.last = { intervalMs: config.scaleIntervalMs };
    this.actuation = new ScaleActuation(config.scale, createActuator(config.scale), metrics);
  }

  /** Restores the autoscaler's cool-down state, registers the gauges and starts the periodic decision. */
  async start(): Promise<void> {
    const saved = await this.nats.getRun<AutoscaleState>(STATE_KEY).catch(() => undefined);
    if (saved) this.autoscaler = this.create(saved);
    this.metrics.observe('desiredNodes', () => this.last.decision?.desired ?? this.alive().length);
    this.metrics.observe('queueOldestWait', () => this.orchestrator.placer.stats().oldestWaitMs / 1000);
    this.metrics.observe('scaleTarget', () => this.actuation.target());
    this.decide();
    this.timer = setInterval(() => {
      if (this.mayAct()) this.decide();
    }, this.config.scaleIntervalMs);
  }

  view(): ScalingView {
    return { ...this.last, actuator: this.actuation.view() };
  }

  /** One decision: computed, published, remembered. */
  decide(): ScaleDecided {
    const signal = this.signal(Date.now());
    const before = JSON.stringify(this.autoscaler.state());
    const d = this.autoscaler.decide(signal);
    const decision: ScaleDecided = {
      v: PROTOCOL_VERSION,
      kind: 'scale.decided',
      current: d.current,
      desired: d.desired,
      direction: d.direction,
      reasons: d.reasons,
      queueDepth: signal.queueDepth,
      oldestWaitMs: Math.round(signal.oldestWaitMs),
      cpuUtilisation: signal.cpuUtilisation,
      expectedTaskMs: Math.round(signal.expectedTaskMs),
      decidedAt: signal.now,
    };
    if (d.direction !== 'hold' && d.desired !== this.last.decision?.desired) this.log.log(`desired nodes ${d.current} -> ${d.desired}: ${d.reasons.join('; ')}`);
    this.last = { decision, signal, intervalMs: this.config.scaleIntervalMs };
    this.metrics.add('scalingDecisions', { direction: d.direction });
    try {
      if (this.nats.connected) this.nats.publish('scale', this.nats.topo.scale, decision);
    } catch (e) {
      this.log.warn(`could not publish the scaling decision: ${(e as Error).message}`);
    }
    const after = this.autoscaler.state();
    if (JSON.stringify(after) !== before) void this.nats.putRun(STATE_KEY, after).catch(() => undefined);
    if (this.mayAct()) this.act(d);
    return decision;
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private signal(now: number): FleetSignal {
    const alive = this.alive();
    const committed = this.table.committed();
    let capCpu = 0;
    let usedCpu = 0;
    let slots = 0;
    let running = 0;
    for (const n of alive) {
      capCpu += n.heartbeat.capacity.cpuPercent;
      slots += n.heartbeat.capacity.maxTasks;
      usedCpu += committed.get(n.id)?.cpuPercent ?? 0;
    }
    for (const c of committed.values()) running += c.tasks;
    // one pass over the queued tasks: their expected run time, and how many wait for room more nodes
    // would give (their waiting reason as the placer last wrote it into the run view); past
    // SIGNAL_SAMPLE queued tasks, only counted, the figures of the first ones standing for the rest
    let queued = 0;
    let sampled = 0;
    let expectedSum = 0;
    let roomInSample = 0;
    const forRoom = new Map<string, boolean>(); // a deep queue shares a few reasons: each matched once
    for (const r of this.table.all()) {
      for (const t of r.view.tasks) {
        if (t.state !== 'queued') continue;
        queued++;
        if (sampled === SIGNAL_SAMPLE) continue;
        sampled++;
        expectedSum += this.estimates.expectedMs(r.plan.tasks.get(t.id)!);
        if (t.waitingReason === undefined || matchOnce(forRoom, t.waitingReason, waitsForRoom)) roomInSample++;
      }
    }
    const expected = sampled ? expectedSum / sampled : 0;
    const waitingForRoom = sampled === queued ? roomInSample : Math.round((roomInSample * queued) / sampled);
    const stats = this.orchestrator.placer.stats();
    return {
      now,
      nodes: alive.length,
      queueDepth: stats.depth,
      oldestWaitMs: stats.oldestWaitMs,
      running,
      cpuUtilisation: capCpu > 0 ? usedCpu / capCpu : 0,
      expectedTaskMs: expected,
      slotsPerNode: alive.length ? slots / alive.length : 1,
      waitingForRoom,
    };
  }

  /** Hands the decision to the actuation in terms of the pool it sizes (SHOAL_SCALE_POOL_LABEL). */
  private act(d: ScaleDecision): void {
    const committed = this.table.committed();
    const alive = this.alive().map((n) => ({ labels: n.heartbeat.labels, tasks: committed.get(n.id)?.tasks ?? 0 }));
    const { decision, busy } = inPoolTerms(d, alive, this.config.scale.poolLabel);
    this.actuation.onDecision(decision, busy);
  }

  private alive() {
    return this.nodes.list().filter((n) => n.state === 'alive');
  }

  private create(state?: AutoscaleState): Autoscaler {
    const { upWaitMs, stabiliseMs, upCoolDownMs, downCoolDownMs } = this.config.scale;
    return new Autoscaler({ minNodes: this.config.minNodes, maxNodes: this.config.maxNodes, upWaitMs, stabiliseMs, upCoolDownMs, downCoolDownMs }, state);
  }
}
