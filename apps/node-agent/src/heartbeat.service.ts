import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Heartbeat, PROTOCOL_VERSION } from '@shoal/protocol';
import { AgentGateway } from './agent.gateway.js';
import { NODE_AGENT_CONFIG, type NodeAgentConfig } from './config.js';
import { ExecutorService } from './executor.service.js';
import { HostBand } from './band/index.js';
import { HostSampler } from './host-sampler.js';

/** Publishes this node's heartbeat every pulse: host figures, capacity, what runs here. */
@Injectable()
export class HeartbeatService {
  private readonly sampler = new HostSampler();
  private readonly startedAt = Date.now();
  private timer?: NodeJS.Timeout;
  private beating = false;
  private readonly log = new Logger('band');
  band?: HostBand;

  constructor(
    @Inject(NODE_AGENT_CONFIG) private readonly config: NodeAgentConfig,
    private readonly gateway: AgentGateway,
    private readonly executor: ExecutorService,
  ) {}

  async start(): Promise<void> {
    await this.sampler.start(this.config.pulseMs);
    if (this.config.band) {
      this.band = new HostBand(this.config.band, {
        sample: () => this.sampler.latest.cpuPercent,
        targets: () => this.executor.bandTargets(),
        log: (m) => this.log.log(m),
        now: Date.now,
      });
      this.executor.band = this.band;
    }
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.config.pulseMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sampler.stop();
  }

  /** Builds the current heartbeat. */
  build(): Heartbeat {
    return {
      v: PROTOCOL_VERSION,
      kind: 'node.heartbeat',
      nodeId: this.config.nodeId,
      hostname: hostname().slice(0, 255),
      sentAt: Date.now(),
      startedAt: this.startedAt,
      pulseMs: this.config.pulseMs,
      labels: this.config.labels,
      governor: this.executor.governorKind,
      capacity: { cpuPercent: this.config.cpuCapacityPercent, memoryMb: this.config.memoryCapacityMb, maxTasks: this.config.maxTasks },
      host: this.sampler.latest,
      ...(this.band ? { band: this.band.snapshot() } : {}),
      ...(this.executor.warmState ? { warm: this.executor.warmState } : {}),
      ...(this.executor.outboxDepth > 0 ? { outboxDepth: this.executor.outboxDepth } : {}),
      ...(this.gateway.malformed > 0 ? { malformed: this.gateway.malformed } : {}),
      running: this.executor.reportedRunning(),
    };
  }

  /**
   * One pulse: publishes the heartbeat first (never delayed by sampling), then reads per-agent
   * usage and agent states and runs the band for the next one. A slow pulse is skipped, not queued.
   */
  private async beat(): Promise<void> {
    this.gateway.heartbeat(this.build());
    if (this.beating) return;
    this.beating = true;
    try {
      await Promise.all([this.executor.refreshUsage(), this.executor.refreshAgentStates()]);
      await this.band?.tick();
    } catch {
      /* sampling is best effort */
    } finally {
      this.beating = false;
    }
  }
}
