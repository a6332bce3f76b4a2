import { Module } from '@nestjs/common';
import { AgentGateway } from './agent.gateway.js';
import { NODE_AGENT_CONFIG, loadNodeAgentConfig } from './config.js';
import { ExecutorService } from './executor.service.js';
import { HeartbeatService } from './heartbeat.service.js';
import { LifecycleService } from './lifecycle.service.js';
import { NodeMetrics } from './metrics/node-metrics.service.js';

/** The node-agent: one module; NATS, tmux and the governor are adapters behind services. */
@Module({
  providers: [
    { provide: NODE_AGENT_CONFIG, useFactory: () => loadNodeAgentConfig() },
    AgentGateway,
    ExecutorService,
    HeartbeatService,
    LifecycleService,
    NodeMetrics,
  ],
})
export class NodeAgentModule {}
