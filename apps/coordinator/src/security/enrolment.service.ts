import { Injectable, Logger } from '@nestjs/common';
import { type EnrolReply, type EnrolRequest, type NodeRemovedReply, NotFoundError, PROTOCOL_VERSION, nodeInboxPrefix } from '@shoal/protocol';
import { NatsGateway } from '../nats.gateway.js';
import { NodeRegistry } from '../node-registry.js';
import { Orchestrator } from '../orchestrator.js';
import { BusAuthorization } from './bus-authorization.service.js';
import { SecurityContext } from './security-context.js';

/**
 * Nodes joining and leaving the fleet: enrolment exchanges a one-time join token for the right to
 * connect with the node's own key (its work consumer created here, since a node may not create
 * one); removal takes that right away at once and re-places the node's unfinished work.
 */
@Injectable()
export class EnrolmentService {
  private readonly log = new Logger('enrolment');

  constructor(
    private readonly security: SecurityContext,
    private readonly bus: BusAuthorization,
    private readonly nats: NatsGateway,
    private readonly nodes: NodeRegistry,
    private readonly orchestrator: Orchestrator,
  ) {}

  /** At start, once NATS is connected: every enrolled node has its work consumer. */
  async start(): Promise<void> {
    const enrolled = this.security.store?.snapshot.nodes ?? [];
    for (const n of enrolled) await this.nats.ensureWorkConsumer(n.id);
    if (enrolled.length) this.log.log(`work consumers of ${enrolled.length} enrolled node(s) in place`);
  }

  /**
   * Enrols a node: the join token is spent, the node's key recorded, its work consumer created,
   * and the bus reloaded; resolves once the bus accepts the node's key.
   */
  async enrol(req: EnrolRequest): Promise<EnrolReply> {
    this.bus.assertManaged();
    const store = this.security.store!;
    store.enrol(req.token, {
      id: req.nodeId,
      publicKey: req.publicKey,
      enrolledAt: Date.now(),
      ...(req.hostname !== undefined ? { hostname: req.hostname } : {}),
      ...(req.labels !== undefined ? { labels: req.labels } : {}),
    });
    this.log.log(`node ${req.nodeId} enrolled${req.hostname ? ` from ${req.hostname}` : ''}`);
    // a failure below leaves the node enrolled; the next coordinator start completes both steps
    await this.nats.ensureWorkConsumer(req.nodeId);
    await this.bus.apply();
    const topo = this.nats.topo;
    return {
      v: PROTOCOL_VERSION,
      nodeId: req.nodeId,
      namespace: topo.ns,
      servers: this.security.config.natsAdvertise,
      inboxPrefix: nodeInboxPrefix(topo, req.nodeId),
      ...(this.security.caPem ? { caPem: this.security.caPem } : {}),
    };
  }

  /**
   * Removes a node: its identity leaves the store and the bus (its live connection is dropped
   * before this resolves), it leaves the registry, its work consumer is deleted, and its
   * unfinished attempts are re-placed as if the node were lost.
   */
  async remove(nodeId: string): Promise<NodeRemovedReply> {
    const store = this.security.store;
    const enrolled = !!store?.snapshot.nodes.some((n) => n.id === nodeId);
    if (!enrolled && !this.nodes.get(nodeId)) throw new NotFoundError(`no node ${nodeId}`);
    let busError: unknown;
    if (enrolled) {
      this.bus.assertManaged();
      store!.removeNode(nodeId);
      // the rest happens even when the reload cannot be confirmed; the error is reported after
      busError = await this.bus.apply().then(() => undefined, (e: unknown) => e);
    }
    this.nodes.remove(nodeId);
    this.orchestrator.nodeLost(nodeId);
    await this.nats.deleteWorkConsumer(nodeId);
    if (busError) throw busError;
    this.log.warn(`node ${nodeId} removed${enrolled ? ': its credentials no longer open the bus' : ''}; its unfinished tasks are re-placed`);
    return { ok: true, removed: nodeId };
  }
}
