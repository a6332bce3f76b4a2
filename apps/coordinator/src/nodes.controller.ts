import { Controller, Get, Header, HttpCode, Param, Post, Res } from '@nestjs/common';
import { type HealthReply, NODE_ACTIONS, type NodeActionName, type NodeActionReply, type NodeRow, type StopEverywhereReply, ValidationError } from '@shoal/protocol';
import type { FastifyReply } from 'fastify';
import { LeadershipService } from './leadership/leadership.service.js';
import { Metrics } from './metrics.js';
import { NatsGateway } from './nats.gateway.js';
import { NodeControlService } from './node-control.service.js';
import { NodeRegistry } from './node-registry.js';
import { Public, RequireScope } from './security/access.js';

/** Nodes, health and metrics. */
@Controller()
export class NodesController {
  constructor(
    private readonly nodes: NodeRegistry,
    private readonly nats: NatsGateway,
    private readonly metrics: Metrics,
    private readonly control: NodeControlService,
    private readonly leadership: LeadershipService,
  ) {}

  /** `POST /nodes/:id/stop-all|reset|emergency-cleanup`: the node's answer. */
  @Post('nodes/:id/:action')
  @RequireScope('operate')
  @HttpCode(200)
  nodeAction(@Param('id') id: string, @Param('action') action: string): Promise<NodeActionReply> {
    if (!NODE_ACTIONS.includes(action as NodeActionName)) throw new ValidationError([{ path: 'action', message: `must be one of ${NODE_ACTIONS.join(', ')}` }]);
    return this.control.act(id, action as NodeActionName);
  }

  /** `POST /emergency/stop-all`: stop-all on every node that is not lost; one answer per node. */
  @Post('emergency/stop-all')
  @RequireScope('operate')
  @HttpCode(200)
  async stopEverywhere(): Promise<StopEverywhereReply> {
    const nodes = await this.control.actOnAll('stop-all');
    return { ok: nodes.every((n) => n.ok), nodes };
  }

  /** Every node the coordinator knows: its latest heartbeat and liveness. */
  @Get('nodes')
  @RequireScope('read')
  list(): NodeRow[] {
    return this.nodes.list().map((n) => ({ id: n.id, state: n.state, lastHeartbeatAt: n.receivedAt, ...n.heartbeat }));
  }

  /** 200 while NATS is connected, 503 otherwise (drives the readiness probe); with this replica's role and term. */
  @Get('healthz')
  @Public()
  health(@Res({ passthrough: true }) reply: FastifyReply): HealthReply {
    const ok = this.nats.connected;
    void reply.status(ok ? 200 : 503);
    const { role, term, leader } = this.leadership.status();
    return { ok, nats: ok ? 'connected' : 'disconnected', role, term, ...(leader && !leader.released ? { leader: leader.url } : {}) };
  }

  @Get('metrics')
  @RequireScope('read')
  @Header('content-type', 'text/plain; version=0.0.4')
  prometheus(): Promise<string> {
    return this.metrics.render();
  }
}
