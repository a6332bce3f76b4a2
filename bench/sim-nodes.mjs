// Simulated node-agents for the S1, W1 and W3 benchmarks: each speaks the real protocol of
// libs/protocol over its own NATS connection (heartbeats on `<ns>.hb.<node>` every pulse, its own
// durable work consumer created with `ensureConsumer` as an anonymous node-agent does, `task.started`
// then `task.finished` published to JetStream with the node-agent's msg ids), but runs nothing: an
// attempt "runs" for `runMs` (0: finished at once). Used in process (`SimNode`) or as a child
// process holding many nodes (`node bench/sim-nodes.mjs`, configured by SIM_CONFIG, driven over IPC).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { PROTOCOL_VERSION, decode, encode, topology } from '../libs/protocol/dist/index.js';
import { WORK_DELIVERY, ensureConsumer, ensureTopology } from '../libs/runtime/dist/index.js';

/** The node-agent's status msg id (apps/node-agent/src/outbox/outbox-entry.ts `reportMsgId`). */
const reportMsgId = (s) => `${s.runId}.${s.taskId}.${s.attempt}.${s.kind}`;

/** Samples a simulated node keeps for the bench (all times on this host's wall clock, ms). */
export class SimStats {
  /** Slot freed (finish published) -> the next work's `dispatchedAt` (coordinator clock, at publish). */
  refill = [];
  /** Work `dispatchedAt` -> received by the node. */
  delivery = [];
  /** `${runId}/${taskId}` -> work `dispatchedAt` (only when `keepDispatches`). */
  dispatches = new Map();
  started = 0;
  finished = 0;
  received = 0;
  heartbeats = 0;
  errors = [];

  /** Moves the samples out (and resets them). */
  take() {
    const out = { refill: this.refill, delivery: this.delivery, started: this.started, finished: this.finished, received: this.received, heartbeats: this.heartbeats, errors: this.errors.slice(0, 10) };
    this.refill = [];
    this.delivery = [];
    this.started = this.finished = this.received = this.heartbeats = 0;
    this.errors = [];
    return out;
  }
}

/** One simulated node-agent. */
export class SimNode {
  /**
   * @param {object} o
   * @param {string} o.natsUrl
   * @param {string} o.ns namespace
   * @param {string} o.nodeId
   * @param {number} o.maxTasks task slots reported in the heartbeat
   * @param {number} o.runMs how long an attempt "runs" before its finish is reported
   * @param {number} [o.pulseMs] heartbeat period (2,500 as the node-agent's default)
   * @param {SimStats} o.stats shared sample sink
   * @param {boolean} [o.keepDispatches] remember every work message's dispatchedAt
   */
  constructor(o) {
    this.o = { pulseMs: 2500, ...o };
    this.topo = topology(o.ns);
    this.running = new Map();
    this.freed = [];
    this.stopped = false;
    this.startedAt = Date.now();
  }

  /** Connects, ensures the work consumer (as an anonymous node-agent does), starts heartbeating and consuming. */
  async start({ topologyReady = false } = {}) {
    const { natsUrl, nodeId } = this.o;
    this.nc = await connect({ servers: natsUrl, name: `shoal-node-${nodeId}`, maxReconnectAttempts: -1 });
    const jsm = await jetstreamManager(this.nc);
    if (!topologyReady) await ensureTopology(this.nc, this.topo);
    // a JetStream API busy with thousands of joins times out: tried again (a node-agent that failed
    // here would exit and be restarted by its supervisor)
    for (let tries = 1; ; tries++) {
      try {
        await ensureConsumer(jsm, this.topo.workStream, this.topo.nodeConsumer(nodeId), this.topo.work(nodeId), WORK_DELIVERY.ackWaitMs, WORK_DELIVERY.maxDeliver);
        break;
      } catch (e) {
        if (tries >= 10) throw e;
        this.o.stats.errors.push(`ensureConsumer ${nodeId} (try ${tries}): ${e.message}`);
        await new Promise((r) => setTimeout(r, 1000 * tries));
      }
    }
    this.js = jetstream(this.nc);
    this.heartbeat();
    const first = Math.floor(Math.random() * this.o.pulseMs);
    this.hbTimer = setTimeout(() => {
      this.heartbeat();
      this.hbTimer = setInterval(() => this.heartbeat(), this.o.pulseMs);
    }, first);
    const consumer = await this.js.consumers.get(this.topo.workStream, this.topo.nodeConsumer(nodeId));
    void this.consume(consumer);
  }

  heartbeat() {
    if (this.stopped) return;
    const { nodeId, maxTasks, pulseMs } = this.o;
    const hb = {
      v: PROTOCOL_VERSION,
      kind: 'node.heartbeat',
      nodeId,
      hostname: `sim-${nodeId}`,
      sentAt: Date.now(),
      startedAt: this.startedAt,
      pulseMs,
      labels: { sim: 'yes' },
      governor: 'none',
      capacity: { cpuPercent: 100_000, memoryMb: 10_000_000, maxTasks },
      host: { cpuPercent: 5, memUsedMb: 1000, memTotalMb: 16_000, load1: 0.1, cores: 4 },
      running: [...this.running.values()].map((r) => ({ runId: r.runId, taskId: r.taskId, attempt: r.attempt })),
    };
    try {
      this.nc.publish(this.topo.heartbeat(nodeId), encode('heartbeat', hb));
      this.o.stats.heartbeats++;
    } catch (e) {
      this.o.stats.errors.push(`heartbeat ${nodeId}: ${e.message}`);
    }
  }

  /** The node-agent's loop: `consume({ max_messages: 64 })`, renewed when interrupted. */
  async consume(consumer) {
    while (!this.stopped) {
      try {
        const messages = await consumer.consume({ max_messages: 64 });
        this.messages = messages;
        for await (const m of messages) this.onWork(m);
      } catch (e) {
        if (!this.stopped) this.o.stats.errors.push(`consume ${this.o.nodeId}: ${e.message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  onWork(m) {
    const now = Date.now();
    const stats = this.o.stats;
    const d = decode('work', m.data);
    if (!d.ok || d.value.nodeId !== this.o.nodeId) {
      m.term();
      stats.errors.push(`malformed work on ${m.subject}`);
      return;
    }
    const w = d.value;
    stats.received++;
    stats.delivery.push(now - w.dispatchedAt);
    const freedAt = this.freed.shift();
    if (freedAt !== undefined) stats.refill.push(w.dispatchedAt - freedAt);
    if (this.o.keepDispatches) stats.dispatches.set(`${w.runId}/${w.taskId}`, w.dispatchedAt);
    const ref = { runId: w.runId, taskId: w.taskId, attempt: w.attempt };
    this.running.set(`${w.runId}/${w.taskId}/${w.attempt}`, ref);
    void this.runAttempt(m, w, ref);
  }

  async runAttempt(m, w, ref) {
    const { nodeId, runMs } = this.o;
    const startedAt = Date.now();
    try {
      await this.report({ v: PROTOCOL_VERSION, kind: 'task.started', ...ref, nodeId, startedAt, session: 'sim', window: w.taskId });
      m.ack();
      this.o.stats.started++;
      if (runMs > 0) await new Promise((r) => setTimeout(r, runMs));
      if (this.stopped) return;
      this.running.delete(`${w.runId}/${w.taskId}/${w.attempt}`);
      const finishedAt = Date.now();
      this.freed.push(finishedAt);
      await this.report({ v: PROTOCOL_VERSION, kind: 'task.finished', ...ref, nodeId, outcome: 'succeeded', exitCode: 0, startedAt, finishedAt, outputTail: '' });
      this.o.stats.finished++;
    } catch (e) {
      if (!this.stopped) this.o.stats.errors.push(`report ${w.runId}/${w.taskId}: ${e.message}`);
    }
  }

  report(s) {
    return this.js.publish(this.topo.status(this.o.nodeId), encode('status', s), { msgID: reportMsgId(s), timeout: 10_000 });
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.hbTimer);
    clearInterval(this.hbTimer);
    try {
      this.messages?.stop();
    } catch {
      /* gone */
    }
    await this.nc?.close().catch(() => undefined);
  }
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool(items, limit, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

/** Child process entry: SIM_CONFIG = { natsUrl, ns, ids, maxTasks, runMs, pulseMs }; IPC: 'report' -> samples, 'stop' -> exit. */
async function main() {
  const cfg = JSON.parse(process.env.SIM_CONFIG);
  const stats = new SimStats();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const nodes = cfg.ids.map((nodeId) => new SimNode({ ...cfg, nodeId, stats }));
  const setup = connect({ servers: cfg.natsUrl, name: 'sim-setup' });
  const nc = await setup;
  await ensureTopology(nc, topology(cfg.ns)); // once per process; each node then ensures only its consumer
  await nc.close();
  await pool(nodes, 10, (n) => n.start({ topologyReady: true }));
  process.send({ type: 'ready', nodes: nodes.length });
  process.on('message', async (msg) => {
    if (msg.type === 'report') {
      const out = { ...stats.take(), loopDelayP99Ms: loop.percentile(99) / 1e6, loopDelayMaxMs: loop.max / 1e6 };
      loop.reset();
      process.send({ type: 'report', ...out });
    } else if (msg.type === 'stop') {
      await pool(nodes, 100, (n) => n.stop());
      process.send({ type: 'stopped' });
      process.exit(0);
    }
  });
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1] && process.env.SIM_CONFIG) {
  main().catch((e) => {
    console.error(e?.stack ?? e);
    process.exit(1);
  });
}
