import { Controller, Get, Header, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
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

  /** 200 while NATS is connected, 503 otherwise (drives the readiness probe). */
  @Get('healthz')
  health(@Res({ passthrough: true }) reply: FastifyReply) {
    const ok = this.nats.connected;
    void reply.status(ok ? 200 : 503);
    return { ok, nats: ok ? 'connected' : 'disconnected' };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  prometheus() {
    return this.metrics.render();
  }
}
