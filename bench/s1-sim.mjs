// S1 scale (design/BENCHMARKS.md): N simulated node-agents (bench/sim-nodes.mjs, the real protocol
// over real NATS, one connection each) against one real coordinator from apps/coordinator/dist
// (SHOAL_INSECURE=1, its own nats-server and namespace) with 100,000 queued tasks (50 plans of
// 2,000, the plan limit). Steps through 100 / 300 / 1,000 / 3,000 nodes (a fresh stack each) and
// reports, over a measuring window once every node is up: coordinator CPU and RSS (/proc),
// heartbeat processing lag (GET /nodes: coordinator receive time - node sentAt), slot freed ->
// next dispatch and queued -> dispatched, KV writes/s of the runs bucket, and the knee.
//
// Env overrides: S1_NODES=100,300 S1_WINDOW_S=45 S1_RUN_MS=5000 S1_MAX_TASKS=1 S1_PLANS=50
// S1_TASKS_PER_PLAN=2000 S1_NODES_PER_PROCESS=1000; BENCH_COORDINATOR_NODE_ARGS="--cpu-prof
// --cpu-prof-dir=<dir>" profiles the coordinator; BENCH_COORDINATOR_LOG=<file> keeps its output.
import { fork } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNats } from '../libs/testing/dist/index.js';
import { CLK_TCK, Cleanup, freePort, json, procSample, rand, sleep, startChild, summary } from './lib.mjs';
import { SimNode, SimStats, pool } from './sim-nodes.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const PULSE_MS = 2500;
const env = (k, d) => (process.env[k] !== undefined ? process.env[k] : d);

/** A one-phase plan of `n` tasks (one role per task: one window per role per team and phase). */
export function widePlanJson(name, n) {
  const tasks = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, team: 'bench', role: `W${i}`, command: ['true'], resources: { cpu: 1, memory: 256 } }));
  return JSON.stringify({ name, teams: [{ name: 'bench' }], phases: [{ id: 'all', tasks }] });
}

/** Starts a coordinator from the built app on `nats`; resolves once it listens. */
export async function startCoordinator(nats, ns, cleanup, extraEnv = {}) {
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_COORDINATOR_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const coordinator = startChild([process.execPath, ...nodeArgs, join(ROOT, 'apps/coordinator/dist/main.js')], {
    name: 'coordinator',
    env: { ...process.env, NATS_URL: nats.url, SHOAL_NS: ns, PORT: String(port), SHOAL_HOST_CPU_HIGH: '100', OTEL_SDK_DISABLED: 'true', SHOAL_INSECURE: '1', ...extraEnv },
  });
  cleanup.add(() => coordinator.stop(30_000));
  // BENCH_COORDINATOR_LOG=<file>: every line the coordinator prints (e.g. with --trace-gc) is appended there
  if (process.env.BENCH_COORDINATOR_LOG) {
    const out = createWriteStream(process.env.BENCH_COORDINATOR_LOG, { flags: 'a' });
    coordinator.onLine((l) => out.write(`${l}\n`));
    cleanup.add(() => new Promise((r) => out.end(r)));
  }
  await coordinator.waitForLine(/listening on|ready \(leader/, 60_000);
  const api = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await json(api, '/healthz');
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(200);
    }
  }
  return { api, coordinator };
}

/**
 * A fresh nats-server, a coordinator on it and one in-process simulated node (`nodeId`, `maxTasks`
 * slots, no run time) registered as alive: the stack of W1 and W3.
 */
export async function startOneSimStack({ nodeId, maxTasks, keepDispatches = false }, cleanup) {
  const nats = await startNats({ mode: 'local' });
  cleanup.add(() => nats.stop());
  const ns = `w${rand()}`;
  const { api } = await startCoordinator(nats, ns, cleanup);
  const stats = new SimStats();
  const node = new SimNode({ natsUrl: nats.url, ns, nodeId, maxTasks, runMs: 0, stats, keepDispatches });
  cleanup.add(() => node.stop());
  await node.start();
  const deadline = Date.now() + 30_000;
  while (!(await json(api, '/nodes')).some((x) => x.id === nodeId && x.state === 'alive')) {
    if (Date.now() > deadline) throw new Error('the simulated node did not register within 30 s');
    await sleep(100);
  }
  return { nats, ns, api, node, stats };
}

/** Forks simulated-node processes holding `ids` (at most `perProcess` each); resolves once every node is up. */
export async function startSims({ natsUrl, ns, ids, maxTasks, runMs, perProcess }, cleanup) {
  const procs = [];
  for (let i = 0; i < ids.length; i += perProcess) {
    const child = fork(join(ROOT, 'bench/sim-nodes.mjs'), [], {
      env: { ...process.env, SIM_CONFIG: JSON.stringify({ natsUrl, ns, ids: ids.slice(i, i + perProcess), maxTasks, runMs, pulseMs: PULSE_MS }) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    cleanup.add(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' });
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    });
    procs.push(child);
  }
  await Promise.all(
    procs.map(
      (c) =>
        new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('simulated nodes not up within 300 s')), 300_000);
          c.once('exit', (code) => reject(new Error(`simulated node process exited (${code}) before it was ready`)));
          c.on('message', (m) => m.type === 'ready' && (clearTimeout(t), resolve()));
        }),
    ),
  );
  const report = () =>
    Promise.all(
      procs.map(
        (c) =>
          new Promise((resolve) => {
            const on = (m) => m.type === 'report' && (c.off('message', on), resolve(m));
            c.on('message', on);
            c.send({ type: 'report' });
          }),
      ),
    ).then((rs) => ({
      refill: rs.flatMap((r) => r.refill),
      delivery: rs.flatMap((r) => r.delivery),
      started: rs.reduce((a, r) => a + r.started, 0),
      finished: rs.reduce((a, r) => a + r.finished, 0),
      heartbeats: rs.reduce((a, r) => a + r.heartbeats, 0),
      errors: rs.flatMap((r) => r.errors),
      simLoopDelayMaxMs: Math.max(...rs.map((r) => r.loopDelayMaxMs)),
      simLoopDelayP99Ms: Math.max(...rs.map((r) => r.loopDelayP99Ms)),
    }));
  return { procs, report };
}

/** Polls GET /nodes and keeps receive - sentAt of every heartbeat not seen before. */
function heartbeatLagPoller(api, everyMs) {
  const lastSent = new Map();
  const lags = [];
  let stopped = false;
  let polls = 0;
  const done = (async () => {
    while (!stopped) {
      try {
        for (const n of await json(api, '/nodes')) {
          if (lastSent.get(n.id) === n.sentAt) continue;
          if (lastSent.has(n.id)) lags.push(n.lastHeartbeatAt - n.sentAt);
          lastSent.set(n.id, n.sentAt);
        }
        polls++;
      } catch {
        /* a slow answer: next poll */
      }
      await sleep(everyMs);
    }
  })();
  return {
    lags,
    stop: async () => {
      stopped = true;
      await done;
      return polls;
    },
  };
}

/** Last sequence of the runs bucket's stream (every KV write takes one) and its mean stored document size. */
async function kvState(jsm, ns) {
  const info = await jsm.streams.info(`KV_${ns.replace(/-/g, '_')}_runs`);
  return { seq: info.state.last_seq, meanBytes: info.state.messages ? info.state.bytes / info.state.messages : 0 };
}

/** Scrapes one gauge of GET /metrics (seconds -> ms). */
async function gaugeMs(api, name) {
  const text = await fetch(`${api}/metrics`).then((r) => r.text(), () => '');
  const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm'));
  return m ? +(Number(m[1]) * 1000).toFixed(1) : null;
}

/** The cumulative buckets (`le` -> count) of a Prometheus histogram on GET /metrics. */
async function histogram(api, name) {
  const text = await fetch(`${api}/metrics`).then((r) => r.text(), () => '');
  const out = new Map();
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} ([0-9.eE+-]+)$`, 'gm'))) out.set(m[1], Number(m[2]));
  return out;
}

/**
 * Quantiles (ms, as the upper bound of the bucket that holds them) of the samples a histogram took
 * between two reads, and their count.
 */
function bucketQuantiles(before, after) {
  const les = [...after.keys()];
  const counts = les.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const n = counts.at(-1) ?? 0;
  const q = (p) => {
    if (!n) return null;
    const i = counts.findIndex((c) => c >= p * n);
    return les[i] === '+Inf' ? Infinity : +(Number(les[i]) * 1000).toFixed(1);
  };
  return { n, p50: q(0.5), p99: q(0.99) };
}

/** ' (the coordinator exited: ...)' when it did, with its last lines; else ''. */
function coordinatorGone(coordinator) {
  const alive = procSample(coordinator.pid) !== undefined;
  return alive ? '' : ` (the coordinator exited; last lines: ${coordinator.lines.slice(-5).join(' | ').slice(0, 400)})`;
}

/** One step: a fresh NATS + coordinator, the plans, `nodes` simulated nodes, warm-up, then the measured window. */
async function step({ nodes, plans, perPlan, windowS, warmupS, runMs, maxTasks, perProcess, log }) {
  const cleanup = new Cleanup();
  try {
    const nats = await startNats({ mode: 'local' });
    cleanup.add(() => nats.stop());
    const ns = `s${rand()}`;
    const { api, coordinator } = await startCoordinator(nats, ns, cleanup);
    const nc = await connect({ servers: nats.url, name: 'bench-s1' });
    cleanup.add(() => nc.close());
    const jsm = await jetstreamManager(nc);

    const tSubmit = performance.now();
    const runIds = [];
    await pool(Array.from({ length: plans }, (_, i) => i), 2, async (i) => {
      const r = await json(api, '/runs', { method: 'POST', body: widePlanJson(`s1-${i}`, perPlan), headers: { 'content-type': 'application/json' } });
      runIds.push(r.id);
    });
    const submitS = (performance.now() - tSubmit) / 1000;
    log(`    ${plans * perPlan} tasks queued in ${submitS.toFixed(1)} s; starting ${nodes} simulated nodes`);

    const tUp = performance.now();
    const ids = Array.from({ length: nodes }, (_, i) => `sim${String(i).padStart(4, '0')}`);
    const sims = await startSims({ natsUrl: nats.url, ns, ids, maxTasks, runMs, perProcess }, cleanup);
    const upS = (performance.now() - tUp) / 1000;
    log(`    ${nodes} nodes up in ${upS.toFixed(1)} s; warm-up ${warmupS} s, then ${windowS} s measured`);
    await sleep(warmupS * 1000);
    // the scrape blocks the coordinator for a moment (a histogram per task kind: 2,000 kinds here),
    // so it is taken first and the samples of the refills it delayed are dropped with the warm-up's
    const writes0 = await histogram(api, 'shoal_state_write_duration_seconds');
    await sleep(2000);
    await sims.report(); // drop the warm-up samples

    const load0 = os.loadavg();
    const cpu0 = procSample(coordinator.pid);
    const others0 = { nats: procSample(nats.pid), sims: sims.procs.map((c) => procSample(c.pid)) };
    const kv0 = await kvState(jsm, ns);
    const t0 = Date.now();
    const poller = heartbeatLagPoller(api, Math.min(5000, PULSE_MS * 2 - 500));
    const rss = [];
    while (Date.now() - t0 < windowS * 1000) {
      const s = procSample(coordinator.pid);
      if (s) rss.push(s.rssKb / 1024);
      await sleep(2000);
    }
    const t1 = Date.now();
    const cpu1 = procSample(coordinator.pid);
    const others1 = { nats: procSample(nats.pid), sims: sims.procs.map((c) => procSample(c.pid)) };
    const kv1 = await kvState(jsm, ns);
    const writeMs = bucketQuantiles(writes0, await histogram(api, 'shoal_state_write_duration_seconds'));
    const sim = await sims.report();
    const polls = await poller.stop();
    const loopBusyMaxMs = await gaugeMs(api, 'shoal_event_loop_busy_max_seconds');
    const loopDelayMaxMs = await gaugeMs(api, 'shoal_event_loop_delay_max_seconds');
    const load1 = os.loadavg();
    const elapsedS = (t1 - t0) / 1000;
    const pct = (a, b) => (a && b ? +(((b.ticks - a.ticks) / CLK_TCK / elapsedS) * 100).toFixed(1) : null);

    // queued -> dispatched of the attempts dispatched inside the window, from the run views
    const waits = [];
    let dispatchedTotal = 0;
    for (const id of runIds) {
      const run = await json(api, `/runs/${id}`).catch((e) => {
        throw new Error(`GET /runs/${id} after the window: ${e.message}${coordinatorGone(coordinator)}`);
      });
      for (const t of run.tasks) {
        if (t.dispatchedAt === undefined) continue;
        dispatchedTotal++;
        if (t.dispatchedAt >= t0 && t.dispatchedAt <= t1 && t.queuedAt !== undefined) waits.push(t.dispatchedAt - t.queuedAt);
      }
    }
    const hb = summary(poller.lags);
    const refill = summary(sim.refill);
    const r = {
      nodes,
      tasksQueued: plans * perPlan,
      windowS: +elapsedS.toFixed(1),
      loadAvg: { before: load0.map((x) => +x.toFixed(2)), after: load1.map((x) => +x.toFixed(2)) },
      nodesUpS: +upS.toFixed(1),
      coordinatorCpuPercentOfCore: cpu0 && cpu1 ? +(((cpu1.ticks - cpu0.ticks) / CLK_TCK / elapsedS) * 100).toFixed(1) : null,
      coordinatorRssMb: summary(rss),
      natsServerCpuPercentOfCore: pct(others0.nats, others1.nats),
      simulatorCpuPercentOfCore: +others1.sims.reduce((a, x, i) => a + (pct(others0.sims[i], x) ?? 0), 0).toFixed(1),
      heartbeatLagMs: hb,
      heartbeatSamples: poller.lags.length,
      heartbeatPolls: polls,
      refillMs: refill,
      deliveryMs: summary(sim.delivery),
      queuedToDispatchedMs: summary(waits),
      dispatchesPerSec: +(sim.started / elapsedS).toFixed(1),
      coordinatorCpuMsPerDispatch: cpu0 && cpu1 && sim.started ? +((((cpu1.ticks - cpu0.ticks) / CLK_TCK) * 1000) / sim.started).toFixed(2) : null,
      finishesPerSec: +(sim.finished / elapsedS).toFixed(1),
      heartbeatsSentPerSec: +(sim.heartbeats / elapsedS).toFixed(1),
      dispatchedTotal,
      kvWritesPerSec: +((kv1.seq - kv0.seq) / elapsedS).toFixed(1),
      kvMeanDocKb: +(kv1.meanBytes / 1024).toFixed(1),
      /** Run state writes stored in the window (the coordinator's histogram: bucket upper bounds). */
      stateWriteMs: writeMs,
      loopBusyMaxMs,
      loopDelayMaxMs,
      simLoopDelayMaxMs: +sim.simLoopDelayMaxMs.toFixed(1),
      simErrors: sim.errors.slice(0, 5),
      goal: { heartbeatLagP99MaxMs: PULSE_MS, refillP99MaxMs: 100 },
    };
    r.goal.met = hb.p99 !== null && hb.p99 < PULSE_MS && refill.p99 !== null && refill.p99 < 100;
    log(
      `    CPU ${r.coordinatorCpuPercentOfCore}% of a core, RSS max ${r.coordinatorRssMb.max} MB; heartbeat lag p50 ${hb.p50} / p99 ${hb.p99} ms (n=${hb.n}); ` +
        `slot freed -> dispatch p50 ${refill.p50} / p99 ${refill.p99} ms; ${r.dispatchesPerSec} dispatches/s (${r.coordinatorCpuMsPerDispatch} ms of coordinator CPU each); KV ${r.kvWritesPerSec} writes/s (${r.kvMeanDocKb} kB/doc), run writes p50 <= ${writeMs.p50} / p99 <= ${writeMs.p99} ms (n=${writeMs.n}); nats-server ${r.natsServerCpuPercentOfCore}%, simulator ${r.simulatorCpuPercentOfCore}%; load ${r.loadAvg.after[0]}`,
    );
    if (r.simErrors.length) log(`    simulator errors: ${r.simErrors.join(' | ')}`);
    return r;
  } finally {
    await cleanup.run();
  }
}

/** S1: every step, then the knee (the first step that misses a goal). */
export async function run({ quick, log }) {
  const nodesList = env('S1_NODES', quick ? '40' : '100,300,1000,3000').split(',').map(Number);
  const plans = Number(env('S1_PLANS', quick ? 4 : 50));
  const perPlan = Number(env('S1_TASKS_PER_PLAN', quick ? 500 : 2000));
  const windowS = Number(env('S1_WINDOW_S', quick ? 10 : 45));
  const warmupS = Number(env('S1_WARMUP_S', quick ? 3 : 10));
  const runMs = Number(env('S1_RUN_MS', 5000));
  const maxTasks = Number(env('S1_MAX_TASKS', 1));
  const perProcess = Number(env('S1_NODES_PER_PROCESS', 1000));
  const steps = [];
  for (const nodes of nodesList) {
    log(`  S1: ${nodes} simulated nodes, ${plans} x ${perPlan} queued tasks, ${maxTasks} slot(s) per node, ${runMs} ms per task`);
    try {
      steps.push(await step({ nodes, plans, perPlan, windowS, warmupS, runMs, maxTasks, perProcess, log }));
    } catch (e) {
      log(`    step of ${nodes} nodes failed: ${e.message}`);
      steps.push({ nodes, error: String(e.message ?? e).slice(0, 500) });
    }
  }
  const knee = steps.find((s) => s.error || !s.goal.met)?.nodes ?? null;
  if (steps.every((s) => s.error)) throw new Error(`every S1 step failed: ${steps[0].error}`);
  return { pulseMs: PULSE_MS, runMs, maxTasks, steps, knee, lastMet: [...steps].reverse().find((s) => !s.error && s.goal.met)?.nodes ?? null };
}
