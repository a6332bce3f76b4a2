import { Injectable, Logger } from '@nestjs/common';
import { type ControlReply, type ControlRequest, type NodeActionName, type NodeActionReply, NotFoundError, PROTOCOL_VERSION } from '@shoal/protocol';
import { NatsGateway } from './nats.gateway.js';
import { NodeRegistry } from './node-registry.js';

/** stop-all waits for the grace period on the node (C-c, wait, kill): allow well beyond it. */
const ACTION_TIMEOUT_MS = 60_000;

/** Sends operator actions to node-agents over NATS request/reply. */
@Injectable()
export class NodeControlService {
  private readonly log = new Logger('node-control');

  constructor(
    private readonly nats: NatsGateway,
    private readonly nodes: NodeRegistry,
  ) {}

  /** Runs an emergency action on one node. */
  async act(nodeId: string, action: NodeActionName): Promise<NodeActionReply> {
    if (!this.nodes.get(nodeId)) throw new NotFoundError(`no node ${nodeId}`);
    this.log.warn(`${action} on node ${nodeId} requested by operator`);
    const r = await this.nats.control(nodeId, { v: PROTOCOL_VERSION, action } as ControlRequest, ACTION_TIMEOUT_MS);
    return { nodeId, ok: r.ok, message: r.message, affected: r.affected };
  }

  /** Runs an action on every known node that is not lost; each node answers (or fails) on its own. */
  async actOnAll(action: NodeActionName): Promise<NodeActionReply[]> {
    const targets = this.nodes.list().filter((n) => n.state !== 'lost');
    return Promise.all(
      targets.map((n) => this.act(n.id, action).catch((e: Error) => ({ nodeId: n.id, ok: false, message: e.message }))),
    );
  }

  /** Asks a node for the tail of a task's log file. */
  async logTail(nodeId: string, runId: string, taskId: string, attempt?: number, bytes?: number): Promise<ControlReply> {
    return this.nats.control(nodeId, { v: PROTOCOL_VERSION, action: 'logs', runId, taskId, attempt, bytes }, 15_000);
  }
}
