import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { TaskDispatched, TaskStatus } from '@shoal/protocol';
import { MetricRegistry } from '@shoal/runtime';
import { taskKind } from '@shoal/scheduler';
import { AgentGateway } from '../agent.gateway.js';
import { NODE_AGENT_CONFIG, type NodeAgentConfig } from '../config.js';
import { ExecutorService } from '../executor.service.js';
import { HeartbeatService } from '../heartbeat.service.js';
import { NODE_METRICS } from './catalog.js';
import { MetricsServer } from './metrics-server.js';
import * as node from './node-samples.js';

const MB = 1024 * 1024;

/**
 * This node's metrics through the OpenTelemetry SDK (see {@link NODE_METRICS}), read mostly from
 * the heartbeat it would send now; served on `SHOAL_METRICS_HOST:SHOAL_METRICS_PORT/metrics` when
 * the port is set (off otherwise).
 */
@Injectable()
export class NodeMetrics implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('metrics');
  readonly registry: MetricRegistry<typeof NODE_METRICS>;
  private server?: MetricsServer;

  constructor(
    @Inject(NODE_AGENT_CONFIG) private readonly config: NodeAgentConfig,
    heartbeat: HeartbeatService,
    executor: ExecutorService,
    gateway: AgentGateway,
  ) {
    const r = (this.registry = new MetricRegistry(NODE_METRICS, { serviceName: 'shoal-node-agent', attributes: { 'shoal.node_id': config.nodeId } }));
    executor.reported = (s, task) => this.onReport(s, task);
    // one heartbeat build per scrape would do; each callback builds its own (cheap: in-memory figures)
    const hb = () => heartbeat.build();
    const kindOf = (runId: string, taskId: string) => {
      const a = executor.running().find((x) => x.task.runId === runId && x.task.taskId === taskId);
      return a ? taskKind(a.task) : undefined;
    };
    r.observe('hostCpu', () => hb().host.cpuPercent / 100);
    r.observe('hostLoad', () => hb().host.load1);
    r.observe('hostMemoryUsage', () => hb().host.memUsedMb * MB);
    r.observe('hostMemoryLimit', () => hb().host.memTotalMb * MB);
    r.observe('bandLimit', () => node.bandLimits(hb()));
    r.observe('bandPosition', () => node.bandPosition(hb()));
    r.observe('bandState', () => node.bandState(hb()));
    r.observe('bandThrottled', () => (heartbeat.band ? heartbeat.band.snapshot().throttled.length : []));
    r.observe('governorActions', () => Object.entries(heartbeat.band?.actions ?? {}).map(([action, n]) => [{ action }, n] as const));
    r.observe('governor', () => [[{ kind: executor.governorKind }, 1]]);
    r.observe('agents', () => node.agentStates(hb().running));
    r.observe('agentCpu', () => node.agentUsage(hb().running, 'cpu', kindOf));
    r.observe('agentMemory', () => node.agentUsage(hb().running, 'rss', kindOf));
    r.observe('outboxDepth', () => executor.outboxDepth);
    r.observe('warmReady', () => executor.warmState?.ready ?? []);
    r.observe('duplicateDeliveries', () => executor.duplicateDeliveries);
    r.observe('malformed', () => gateway.malformed);
  }

  /**
   * Binds the metrics port before anything else starts (module init runs before the lifecycle's
   * bootstrap): a port already taken stops the node-agent before it consumes any work.
   */
  async onModuleInit(): Promise<void> {
    const m = this.config.metrics;
    if (!m) return;
    this.server = new MetricsServer(() => this.registry.render());
    const at = await this.server.listen(m.host, m.port);
    this.log.log(`metrics on http://${m.host.includes(':') ? `[${at.address}]` : at.address}:${at.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
    await this.registry.shutdown();
  }

  private onReport(s: TaskStatus, task: TaskDispatched | undefined): void {
    const task_kind = task ? taskKind(task) : 'unknown';
    if (s.kind === 'task.started') this.registry.add('tasksStarted', { task_kind });
    else this.registry.add('tasksFinished', { task_kind, outcome: s.outcome });
  }
}
