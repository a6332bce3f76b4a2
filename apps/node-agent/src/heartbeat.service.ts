import { hostname } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import { type Heartbeat, PROTOCOL_VERSION } from '@shoal/protocol';
import { AgentGateway } from './agent.gateway.js';
import { NODE_AGENT_CONFIG, type NodeAgentConfig } from './config.js';
import { ExecutorService } from './executor.service.js';
import { HostSampler } from './host-sampler.js';

/** Publishes this node's heartbeat every pulse: host figures, capacity, what runs here. */
@Injectable()
export class HeartbeatService {
  private readonly sampler = new HostSampler();
  private readonly startedAt = Date.now();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(NODE_AGENT_CONFIG) private readonly config: NodeAgentConfig,
    private readonly gateway: AgentGateway,
    private readonly executor: ExecutorService,
  ) {}

  async start(): Promise<void> {
    await this.sampler.start(this.config.pulseMs);
    this.beat();
    this.timer = setInterval(() => this.beat(), this.config.pulseMs);
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
      running: this.executor.running().map((a) => ({ runId: a.task.runId, taskId: a.task.taskId, attempt: a.task.attempt })),
    };
  }

  private beat(): void {
    this.gateway.heartbeat(this.build());
  }
}
