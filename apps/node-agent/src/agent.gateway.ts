import { type Consumer, type JetStreamClient, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type ControlReply,
  type ControlRequest,
  type Heartbeat,
  PROTOCOL_VERSION,
  type TaskCheckin,
  type TaskDispatched,
  type TaskOutput,
  type TaskStatus,
  type Topology,
  decode,
  encode,
  topology,
} from '@shoal/protocol';
import { WORK_DELIVERY, ensureConsumer, ensureTopology } from '@shoal/runtime';
import { NODE_AGENT_CONFIG, type NodeAgentConfig } from './config.js';
import { type BusIdentity, connectBus, resolveBusIdentity } from './enrol.js';
import { reportMsgId } from './outbox/index.js';

/** The node-agent's door to NATS: its own work consumer, status reports, heartbeats, control. */
@Injectable()
export class AgentGateway {
  private readonly log = new Logger('nats');
  /** Subjects of this node's namespace (the credentials' namespace once enrolled). */
  topo: Topology;
  private nc?: NatsConnection;
  /** Since when the connection to NATS is down (undefined while connected). */
  private downSince?: number;
  private js?: JetStreamClient;
  private stopped = false;
  private readonly reconnected: (() => void)[] = [];
  private readonly stopping: (() => Promise<void>)[] = [];
  malformed = 0;
  /** AckWait of this node's work consumer (read from the server when consuming starts). */
  workAckWaitMs: number = WORK_DELIVERY.ackWaitMs;

  constructor(@Inject(NODE_AGENT_CONFIG) private readonly config: NodeAgentConfig) {
    this.topo = topology(config.namespace);
  }

  /**
   * Connects with this node's identity (see {@link resolveBusIdentity}: credentials file, enrolment
   * with a join token, or anonymous). An enrolled node has no right to create streams or consumers:
   * the coordinator created its consumer at enrolment. On an insecure bus the node creates them.
   */
  async start(): Promise<void> {
    const id: BusIdentity = await resolveBusIdentity(this.config);
    if (id.mode === 'enrolled') this.log.log(`enrolled as node ${this.config.nodeId}; credentials written to ${this.config.credentialsPath}`);
    if (id.namespace !== this.config.namespace) this.topo = topology(id.namespace);
    this.nc = await connectBus(id, `shoal-node-${this.config.nodeId}`);
    this.watchStatus(this.nc);
    if (id.mode === 'anonymous') {
      await ensureTopology(this.nc, this.topo);
      const jsm = await jetstreamManager(this.nc);
      await ensureConsumer(jsm, this.topo.workStream, this.topo.nodeConsumer(this.config.nodeId), this.topo.work(this.config.nodeId), WORK_DELIVERY.ackWaitMs, WORK_DELIVERY.maxDeliver);
    }
    this.js = jetstream(this.nc);
    this.log.log(`connected to ${id.servers.join(',')} as node ${this.config.nodeId} (${id.mode === 'anonymous' ? 'anonymous' : 'own credentials'}, namespace ${id.namespace})`);
  }

  /** How long the connection to NATS has been down at `now` (0 while connected). */
  disconnectedFor(now: number): number {
    return this.downSince === undefined ? 0 : Math.max(0, now - this.downSince);
  }

  private watchStatus(nc: NatsConnection): void {
    // The client reconnects forever, except when the server refuses its credentials twice in a row
    // (a node removed with `shoal nodes remove`): nothing more can reach this node, so it shuts down.
    void nc.closed().then((err) => {
      if (this.stopped) return;
      const why = err ? err.message : 'closed';
      const revoked = /authorization|authentication/i.test(why);
      this.log.error(`connection to NATS closed (${why})${revoked ? ": NATS does not accept this node's credentials (removed with `shoal nodes remove`?); join again with a new token" : ''}; shutting down`);
      process.exitCode = 3;
      process.kill(process.pid, 'SIGTERM');
    });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          this.downSince ??= Date.now();
          if (!this.stopped) this.log.warn('disconnected from NATS; reconnecting');
        } else if (s.type === 'reconnect') {
          if (this.downSince !== undefined) this.log.log(`reconnected to NATS after ${Math.round((Date.now() - this.downSince) / 1000)} s`);
          this.downSince = undefined;
          for (const fn of this.reconnected) fn();
        }
      }
    })().catch(() => undefined);
  }

  /**
   * Consumes this node's work, starting up to `maxConcurrentStarts` attempts at once. The handler
   * decides when to ack (after the process started);
   * a malformed message is terminated and counted, never retried.
   */
  async consumeWork(handler: (task: TaskDispatched, msg: JsMsg, headers?: MsgHdrs) => Promise<void>): Promise<void> {
    const consumer: Consumer = await this.js!.consumers.get(this.topo.workStream, this.topo.nodeConsumer(this.config.nodeId));
    const ackWaitNs = (await consumer.info(true).catch(() => undefined))?.config.ack_wait;
    if (ackWaitNs) this.workAckWaitMs = Math.round(ackWaitNs / 1_000_000);
    const inFlight = new Set<Promise<void>>();
    void (async () => {
      while (!this.stopped) {
        try {
          const messages = await consumer.consume({ max_messages: 64 });
          for await (const m of messages) {
            const d = decode('work', m.data);
            if (!d.ok || d.value.nodeId !== this.config.nodeId) {
              this.malformed += 1;
              this.log.warn(`terminated malformed work message ${m.subject}: ${d.ok ? 'addressed to another node' : d.error.message.split('\n')[0]!.slice(0, 300)}`);
              m.term();
              continue;
            }
            while (inFlight.size >= this.config.maxConcurrentStarts) await Promise.race(inFlight);
            const task = d.value;
            const started: Promise<void> = handler(task, m, m.headers)
              .catch((e: Error) => {
                this.log.error(`work ${task.runId}/${task.taskId} handler failed: ${e.stack}`);
                m.nak(2000);
              })
              .finally(() => inFlight.delete(started));
            inFlight.add(started);
          }
        } catch (e) {
          if (!this.stopped) this.log.warn(`work consumer interrupted, resuming: ${(e as Error).message}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    })();
  }

  /**
   * Publishes a started/finished report to JetStream with its msg id `<run>.<task>.<attempt>.<kind>`
   * and resolves on the server's ack (`duplicate`: the stream had it already). Callers go through
   * the node's outbox (see outbox/), which keeps the report on disk until this resolved.
   */
  async reportStatus(s: TaskStatus): Promise<{ duplicate: boolean }> {
    if (!this.js) throw new Error('not connected to NATS yet');
    // fail fast while disconnected (the outbox retries, and at once on reconnect)
    if (this.downSince !== undefined) throw new Error('disconnected from NATS');
    const ack = await this.js.publish(this.topo.status(this.config.nodeId), encode('status', s), { msgID: reportMsgId(s), timeout: 10_000 });
    return { duplicate: ack.duplicate };
  }

  /** Runs `fn` each time the connection to NATS is back after a disconnect. */
  onReconnect(fn: () => void): void {
    this.reconnected.push(fn);
  }

  /** Runs `fn` (awaited) when the gateway stops, before the connection drains: a last chance to publish. */
  beforeStop(fn: () => Promise<void>): void {
    this.stopping.push(fn);
  }

  heartbeat(hb: Heartbeat): void {
    this.publish(this.topo.heartbeat(this.config.nodeId), encode('heartbeat', hb));
  }

  /** Publishes a check-in reply (core NATS; the coordinator forwards it to followers). */
  checkin(c: TaskCheckin): void {
    this.publish(this.topo.checkin(this.config.nodeId, c.runId, c.taskId), encode('checkin', c));
  }

  output(o: TaskOutput): void {
    this.publish(this.topo.output(this.config.nodeId, o.runId, o.taskId), encode('output', o));
  }

  /** Core NATS publish, best effort: dropped (not thrown) once the connection is closed. */
  private publish(subject: string, data: Uint8Array): void {
    if (!this.nc || this.nc.isClosed()) return;
    try {
      this.nc.publish(subject, data);
    } catch {
      /* closing */
    }
  }

  /** Answers control requests addressed to this node. */
  serveControl(handler: (req: ControlRequest) => Promise<Omit<ControlReply, 'v'>>): void {
    const sub = this.nc!.subscribe(this.topo.control(this.config.nodeId));
    void (async () => {
      for await (const m of sub) {
        const d = decode('control', m.data);
        let reply: Omit<ControlReply, 'v'>;
        if (!d.ok) {
          this.malformed += 1;
          reply = { ok: false, message: d.error.message.slice(0, 2000) };
        } else {
          try {
            reply = await handler(d.value);
          } catch (e) {
            reply = { ok: false, message: (e as Error).message.slice(0, 2000) };
          }
        }
        m.respond(encode('controlReply', { v: PROTOCOL_VERSION, ...reply }));
      }
    })();
  }

  /** Headers object for trace propagation. */
  newHeaders(): MsgHdrs {
    return natsHeaders();
  }

  async stop(): Promise<void> {
    for (const fn of this.stopping.splice(0)) await fn().catch(() => undefined);
    this.stopped = true;
    await this.nc?.drain().catch(() => undefined);
  }
}
