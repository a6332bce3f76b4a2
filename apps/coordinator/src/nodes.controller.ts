import { Controller, Get, Header } from '@nestjs/common';
import { Metrics } from './metrics.js';
import { NatsGateway } from './nats.gateway.js';
import { NodeRegistry } from './node-registry.js';

/** Nodes, health and metrics. */
@Controller()
export class NodesController {
  constructor(
    private readonly nodes: NodeRegistry,
    private readonly nats: NatsGateway,
    private readonly metrics: Metrics,
  ) {}

  @Get('nodes')
  list() {
    return this.nodes.list().map((n) => ({ id: n.id, state: n.state, lastHeartbeatAt: n.receivedAt, ...n.heartbeat }));
  }

  @Get('healthz')
  health() {
    return { ok: this.nats.connected, nats: this.nats.connected ? 'connected' : 'disconnected' };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  prometheus() {
    return this.metrics.render();
  }
}
