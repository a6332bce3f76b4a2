import { type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { type ControlReply, type ControlRequest, type Decoded, type PayloadOf, type SubjectKind, type TaskDispatched, type Topology, TransportError, decode, encode, topology, attemptKey } from '@shoal/protocol';
import { type HeaderCarrier, connectNats, ensureConsumer, ensureTopology, injectTraceContext } from '@shoal/runtime';
import type { Context } from '@opentelemetry/api';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config.js';
import { handleBounded } from './bounded-handling.js';
import { failpoints } from './failpoints.js';
import { Metrics } from './metrics.js';
import { SecurityContext } from './security/security-context.js';
import { type UndeliverableHandler, handleUndeliverable } from './undeliverable-work.js';

/** How long a shutdown waits for the NATS connection to drain before it closes it. */
const DRAIN_DEADLINE_MS = 5000;

/**
 * Ack wait of the coordinators' status consumer: a report delivered to a coordinator that died
 * before acking it is delivered again (to the next leader) after this.
 */
export const STATUS_ACK_WAIT_MS = 30_000;

/**
 * Lifetime of one pull of the coordinator's consumers: its idle heartbeat is half of it, so a pull
 * that died with a stream leader (or a paused server) is noticed and renewed within seconds.
 */
const CONSUME_EXPIRES_MS = 10_000;

/**
 * Status reports applied at once: each is acked after its run's state write, and writes of one run
 * coalesce, so this bounds a run's reports per write time (docs/benchmarks.md, fifth session).
 * Kept under the server's default `max_ack_pending` of 1,000.
 */
export const STATUS_CONCURRENCY = 512;

/** How long a work publish is retried through transient JetStream errors before the attempt fails. */
const PUBLISH_RETRY_MS = 15_000;

/** The coordinator's only door to NATS: publishes work, consumes status, reads heartbeats, stores state. */
@Injectable()
export class NatsGateway implements OnModuleDestroy {
  private readonly log = new Logger('nats');
  readonly topo: Topology;
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private jsm?: JetStreamManager;
  private runs?: KV;
  private cache?: KV;
  private stopped = false;
  /** Last log line about a malformed message, per kind, and how many were not logged since. */
  private readonly malformedLogged = new Map<string, { at: number; unlogged: number }>();

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly metrics: Metrics,
    private readonly security: SecurityContext,
  ) {
    this.topo = topology(config.namespace);
  }

  /**
   * Connects (with the coordinator's nkey unless the bus is insecure) and makes sure streams,
   * consumers and buckets exist.
   */
  async start(): Promise<void> {
    this.nc = await connectNats(this.config.natsUrl, 'shoal-coordinator', { seed: this.security.natsSeed, caPem: this.security.caPem });
    await ensureTopology(this.nc, this.topo, { replicas: this.config.natsReplicas });
    const jsm = await jetstreamManager(this.nc);
    this.jsm = jsm;
    await ensureConsumer(jsm, this.topo.statusStream, this.topo.coordinatorConsumer, this.topo.allStatus, STATUS_ACK_WAIT_MS);
    this.js = jetstream(this.nc);
    this.runs = await new Kvm(this.nc).open(this.topo.runsBucket);
    this.cache = await new Kvm(this.nc).open(this.topo.cacheBucket);
    this.log.log(`connected to ${this.config.natsUrl} (namespace ${this.topo.ns})`);
  }

  get connected(): boolean {
    return !!this.nc && !this.nc.isClosed();
  }

  /** The NATS connection, for a service that keeps its own stream (the analytics history); throws before `start()`. */
  get connection(): NatsConnection {
    return this.conn;
  }

  private leaderKv?: Promise<KV>;

  /**
   * The coordinator leader lease bucket (see LeadershipService), opened on first use; its requests
   * time out after `timeoutMs` (short: a renewal that cannot finish within a pulse or two is moot).
   */
  async leaderBucket(timeoutMs: number): Promise<KV> {
    this.leaderKv ??= new Kvm(jetstream(this.conn, { timeout: timeoutMs })).open(this.topo.leaderBucket);
    try {
      return await this.leaderKv;
    } catch (e) {
      this.leaderKv = undefined;
      throw e;
    }
  }

  /**
   * Round trip to the server (PING/PONG) within `timeoutMs`: true when it answered. False while
   * disconnected, reconnecting, or when the server is paused (SIGSTOP) and cannot answer.
   */
  async ping(timeoutMs: number): Promise<boolean> {
    const nc = this.nc;
    if (!nc || nc.isClosed()) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([nc.rtt().then(() => true, () => false), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Creates (idempotently) a node's durable work consumer: on a secured bus a node may only pull
   * from it, never create it, so the coordinator does at enrolment and at start. Delivery limits:
   * `SHOAL_WORK_ACK_WAIT_MS` / `SHOAL_WORK_MAX_DELIVER` (defaults and reasons: WORK_DELIVERY).
   */
  async ensureWorkConsumer(nodeId: string): Promise<void> {
    const { workAckWaitMs, workMaxDeliver } = this.config;
    await ensureConsumer(this.manager, this.topo.workStream, this.topo.nodeConsumer(nodeId), this.topo.work(nodeId), workAckWaitMs, workMaxDeliver);
  }

  /** Deletes a node's work consumer; false when there was none. */
  async deleteWorkConsumer(nodeId: string): Promise<boolean> {
    try {
      return await this.manager.consumers.delete(this.topo.workStream, this.topo.nodeConsumer(nodeId));
    } catch (e) {
      if (/consumer not found/i.test((e as Error).message)) return false;
      throw new TransportError(`deleting the work consumer of node ${nodeId} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Publishes one attempt to its node's work subject, deduplicated by run/task/attempt. */
  async publishWork(task: TaskDispatched, ctx: Context): Promise<void> {
    const h = natsHeaders();
    injectTraceContext(h as unknown as HeaderCarrier, ctx);
    const data = encode('work', task);
    const deadline = Date.now() + PUBLISH_RETRY_MS;
    for (let delay = 250; ; delay = Math.min(delay * 2, 2000)) {
      try {
        await this.jsc.publish(this.topo.work(task.nodeId), data, { msgID: attemptKey(task.runId, task.taskId, task.attempt), headers: h, timeout: 5000 });
        return;
      } catch (e) {
        // a stream electing a new leader answers "no responders" / "jetstream is not enabled" for a
        // moment: retried (the msg id makes a retry of a publish that did land a duplicate)
        if (this.stopped || Date.now() + delay > deadline) {
          throw new TransportError(`publishing ${task.runId}/${task.taskId} to ${task.nodeId} failed: ${(e as Error).message}`, { cause: e });
        }
        this.log.warn(`publishing ${task.runId}/${task.taskId}#${task.attempt} failed, retrying in ${delay} ms: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Sends a control request to a node and decodes its reply. */
  async control(nodeId: string, req: ControlRequest, timeoutMs = 5000): Promise<ControlReply> {
    try {
      const msg = await this.conn.request(this.topo.control(nodeId), encode('control', req), { timeout: timeoutMs });
      const r = decode('controlReply', msg.data);
      if (!r.ok) {
        this.metrics.malformed('controlReply');
        throw r.error;
      }
      return r.value;
    } catch (e) {
      throw new TransportError(`control ${req.action} to node ${nodeId} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Calls `handler` for every well-formed message on a core subject; malformed ones are counted and logged. */
  subscribe<K extends SubjectKind>(kind: K, subject: string, handler: (msg: PayloadOf<K>, subject: string) => void): void {
    const sub = this.conn.subscribe(subject);
    void (async () => {
      for await (const m of sub) {
        const d = decode(kind, m.data);
        if (this.accept(kind, m.subject, d)) this.safely(() => handler(d.value, m.subject));
      }
    })();
  }

  /** Consumes the status stream; the handler's promise settles before the message is acked. Malformed ones are terminated. */
  async consumeStatus(handler: (msg: PayloadOf<'status'>, subject: string) => Promise<void>): Promise<void> {
    const consumer = await this.jsc.consumers.get(this.topo.statusStream, this.topo.coordinatorConsumer);
    this.consumeForever('status', consumer, 256, (m) => this.handleStatus(m, handler), STATUS_CONCURRENCY);
  }

  /**
   * Pulls from `consumer` until the gateway stops, handling up to `concurrency` messages at once
   * (started in arrival order, see {@link handleBounded}); an interrupted pull is renewed.
   */
  private consumeForever(label: string, consumer: Consumer, maxMessages: number, handle: (m: JsMsg) => Promise<void>, concurrency = 1): void {
    void (async () => {
      while (!this.stopped) {
        try {
          const messages = await consumer.consume({ max_messages: maxMessages, expires: CONSUME_EXPIRES_MS });
          await handleBounded(messages, concurrency, handle);
        } catch (e) {
          if (!this.stopped) this.log.warn(`${label} consumer interrupted, resuming: ${(e as Error).message}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    })();
  }

  /**
   * Status reports stored but not yet acked by this coordinator's status consumer (pending plus
   * delivered-unacked): 0 means every report JetStream holds has been applied.
   */
  async statusBacklog(): Promise<number> {
    const info = await this.manager.consumers.info(this.topo.statusStream, this.topo.coordinatorConsumer);
    return info.num_pending + info.num_ack_pending;
  }

  /** Consumes the max-deliveries advisories of the work consumers (kept in the undeliverable stream): see {@link handleUndeliverable}. */
  async consumeUndeliverable(handler: UndeliverableHandler): Promise<void> {
    await ensureConsumer(this.manager, this.topo.undeliverableStream, this.topo.coordinatorConsumer, this.topo.workMaxDeliveries, 30_000);
    const consumer = await this.jsc.consumers.get(this.topo.undeliverableStream, this.topo.coordinatorConsumer);
    this.consumeForever('undeliverable-work', consumer, 64, (m) => handleUndeliverable(m, handler, { topo: this.topo, manager: this.manager, metrics: this.metrics, log: this.log }));
  }

  /** Stores a JSON document in the runs bucket; returns the new revision. */
  async putRun(key: string, value: unknown): Promise<number> {
    return this.bucket.put(key, JSON.stringify(value));
  }

  /** Reads a JSON document from the runs bucket. */
  async getRun<T>(key: string): Promise<T | undefined> {
    const e = await this.readRuns(key, (b) => b.get(key));
    return e && e.operation === 'PUT' ? (e.json() as T) : undefined;
  }

  /** Lists keys of the runs bucket matching a filter such as `run.>`. */
  async runKeys(filter: string): Promise<string[]> {
    return this.readRuns(filter, async (b) => {
      const out: string[] = [];
      for await (const k of await b.keys(filter)) out.push(k);
      return out;
    });
  }

  /** Reads a JSON document of the runs bucket with its revision (for compare-and-swap). */
  async getRunEntry<T>(key: string): Promise<{ value: T; revision: number } | undefined> {
    const e = await this.readRuns(key, (b) => b.get(key));
    return e && e.operation === 'PUT' ? { value: e.json() as T, revision: e.revision } : undefined;
  }

  /** Creates a document only if the key is absent; throws when it exists. */
  async createRun(key: string, value: unknown): Promise<number> {
    return this.bucket.create(key, JSON.stringify(value));
  }

  /** Compare-and-swap: writes only if the key is still at `revision`; throws otherwise. */
  async updateRun(key: string, value: unknown, revision: number): Promise<number> {
    return this.bucket.update(key, JSON.stringify(value), revision);
  }

  /**
   * One compare-and-swap try of an encoded document: create-if-absent when `revision` is
   * undefined, else update only at `revision`. Resolves with the new revision; throws as NATS does
   * (a JetStream "wrong last sequence" on conflict).
   */
  async casRun(key: string, text: string, revision: number | undefined, timeoutMs: number): Promise<number> {
    return revision === undefined ? this.bucket.create(key, text) : this.bucket.update(key, text, revision, timeoutMs);
  }

  /** The stored text of a runs-bucket document with its revision. */
  async getRunText(key: string): Promise<{ text: string; revision: number } | undefined> {
    const e = await this.readRuns(key, (b) => b.get(key));
    return e && e.operation === 'PUT' ? { text: e.string(), revision: e.revision } : undefined;
  }

  /** A runs-bucket document and when the bus stored it (ms), read from the stream's leader, never a lagging replica (the page sweep); undefined when absent or deleted. */
  async getRunTextFromLeader(key: string): Promise<{ text: string; created: number } | undefined> {
    const bucket = this.topo.runsBucket;
    const m = await this.readRuns(key, () => this.manager.streams.getMessage(`KV_${bucket}`, { last_by_subj: `$KV.${bucket}.${key}` }));
    if (!m || m.header.get('KV-Operation')) return undefined; // a delete or purge marker
    return { text: m.string(), created: m.time.getTime() };
  }

  /** Runs a read of the runs bucket; NATS trouble (a timeout, no quorum during a failover) becomes a retryable TransportError (HTTP 503 + Retry-After, not 500). */
  private async readRuns<T>(what: string, read: (bucket: KV) => Promise<T>): Promise<T> {
    const bucket = this.bucket;
    try {
      return await read(bucket);
    } catch (e) {
      throw new TransportError(`reading ${what} from the runs bucket failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Stores an encoded document in the runs bucket (no revision check); resolves with its revision. */
  async putRunText(key: string, text: string, timeoutMs: number): Promise<number> {
    return this.bucket.put(key, text, { timeout: timeoutMs });
  }

  /** Removes every revision of a runs-bucket key from its stream, leaving no delete marker behind. */
  async purgeRun(key: string): Promise<void> {
    await this.manager.streams.purge(`KV_${this.topo.runsBucket}`, { filter: `$KV.${this.topo.runsBucket}.${key}` });
  }

  async deleteRun(key: string): Promise<void> {
    await this.bucket.delete(key);
  }

  /** Reads a stored result from the cache bucket. */
  async getCached<T>(key: string): Promise<T | undefined> {
    const e = await this.cacheBucket.get(key);
    return e && e.operation === 'PUT' ? (e.json() as T) : undefined;
  }

  async putCached(key: string, value: unknown): Promise<void> {
    await this.cacheBucket.put(key, JSON.stringify(value));
  }

  /** Publishes a message on a core subject (no persistence), encoded for its subject kind. */
  publish<K extends SubjectKind>(kind: K, subject: string, payload: PayloadOf<K>): void {
    this.conn.publish(subject, encode(kind, payload));
  }

  /** Drains the connection (pending work handled, then closed); a drain still going after 5 s is cut short by a close. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    const nc = this.nc;
    if (!nc) return;
    const drained = nc.drain().then(() => true, () => true);
    const inTime = await Promise.race([drained, new Promise<false>((r) => setTimeout(() => r(false), DRAIN_DEADLINE_MS).unref())]);
    if (inTime) return;
    this.log.warn(`NATS drain not done after ${DRAIN_DEADLINE_MS} ms at shutdown: closing the connection`);
    await nc.close().catch(() => undefined);
  }

  private async handleStatus(m: JsMsg, handler: (msg: PayloadOf<'status'>, subject: string) => Promise<void>): Promise<void> {
    const d = decode('status', m.data);
    if (!this.accept('status', m.subject, d)) {
      m.term();
      return;
    }
    try {
      await handler(d.value, m.subject);
      await failpoints.hit('after-status-store');
      m.ack();
    } catch (e) {
      this.log.error(`status ${m.subject} failed, will be redelivered: ${(e as Error).message}`);
      m.nak(1000);
    }
  }

  private accept<T>(kind: string, subject: string, d: Decoded<T>): d is { ok: true; value: T } {
    if (d.ok) return true;
    this.metrics.malformed(kind);
    // briefly: one line of at most 300 characters, at most one line per kind every 10 s (a flood of poison must not flood the log)
    const now = Date.now();
    const last = this.malformedLogged.get(kind);
    if (last && now - last.at < 10_000) {
      last.unlogged += 1;
      return false;
    }
    this.malformedLogged.set(kind, { at: now, unlogged: 0 });
    const more = last?.unlogged ? ` (and ${last.unlogged} more since the last line)` : '';
    this.log.warn(`dropped malformed ${kind} message on ${subject.slice(0, 200)}: ${d.error.message.split('\n')[0]!.slice(0, 300)}${more}`);
    return false;
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error(`handler failed: ${(e as Error).stack ?? e}`);
    }
  }

  private get conn(): NatsConnection {
    if (!this.nc) throw new TransportError('not connected to NATS');
    return this.nc;
  }
  private get jsc(): JetStreamClient {
    if (!this.js) throw new TransportError('not connected to NATS');
    return this.js;
  }
  private get manager(): JetStreamManager {
    if (!this.jsm) throw new TransportError('not connected to NATS');
    return this.jsm;
  }
  private get cacheBucket(): KV {
    if (!this.cache) throw new TransportError('not connected to NATS');
    return this.cache;
  }
  private get bucket(): KV {
    if (!this.runs) throw new TransportError('not connected to NATS');
    return this.runs;
  }
}
