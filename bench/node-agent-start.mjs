// Benchmarks 2 and 3: submit -> process start through a real node-agent vs B3t (a plain NATS
// request/reply agent starting windows through tmux control mode, BENCHMARKS.md) and vs tmux
// alone, 1 in flight and in bursts; windows/s vs the tmux ceiling.
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { PROTOCOL_VERSION, decode, encode, topology } from '../libs/protocol/dist/index.js';
import { startNats, tempDir } from '../libs/testing/dist/index.js';
import { Cleanup, StampDir, killTmux, rand, ratio, removeCgroups, sleep, startChild, summary, wallClock } from './lib.mjs';
import { controlClient } from './tmux-control.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const WARMUP = 3;

/** Starts a node-agent from the built app; resolves once it is ready. */
export async function startNodeAgent({ nats, ns, nodeId, dataDir, tmuxSocket, governor, prefix, env = {} }) {
  const agent = startChild([process.execPath, join(ROOT, 'apps/node-agent/dist/main.js')], {
    name: `node-agent ${nodeId}`,
    env: {
      ...process.env,
      NATS_URL: nats.url,
      SHOAL_NS: ns,
      SHOAL_NODE_ID: nodeId,
      SHOAL_TMUX_SOCKET: tmuxSocket,
      SHOAL_DATA_DIR: dataDir,
      SHOAL_GOVERNOR: governor,
      SHOAL_GOVERNOR_PREFIX: prefix,
      OTEL_SDK_DISABLED: 'true',
      ...env,
    },
  });
  const ready = await agent.waitForLine(/ready: governor [^,\s]+/, 60_000);
  agent.governorKind = ready.match(/ready: governor ([^,\s]+)/)[1];
  return agent;
}

/** Publishes TaskDispatched messages for one node the way the coordinator does. */
async function dispatcher(nats, ns, nodeId, runId) {
  const topo = topology(ns);
  const nc = await connect({ servers: nats.url, name: 'bench-dispatcher' });
  const js = jetstream(nc);
  const finished = new Map();
  const sub = nc.subscribe(topo.status(nodeId));
  const failures = [];
  void (async () => {
    for await (const m of sub) {
      const d = decode('status', m.data);
      if (!d.ok || d.value.kind !== 'task.finished') continue;
      if (d.value.outcome !== 'succeeded') failures.push(`${d.value.taskId}: ${d.value.outcome} ${d.value.reason ?? ''}`);
      const w = finished.get(d.value.taskId);
      if (w) w.resolve(d.value);
      else finished.set(d.value.taskId, { done: d.value });
    }
  })();
  return {
    failures,
    publish(taskId, command) {
      const task = {
        v: PROTOCOL_VERSION,
        kind: 'task.dispatched',
        runId,
        taskId,
        attempt: 1,
        phaseId: 'bench',
        nodeId,
        team: 'bench',
        role: 'Bench',
        command,
        cpuPercent: 5,
        memoryMb: 256,
        priority: 0,
        dispatchedAt: Date.now(),
      };
      return js.publish(topo.work(nodeId), encode('work', task), { msgID: `${runId}.${taskId}.1`, timeout: 5000 });
    },
    finished(taskId, timeoutMs = 30_000) {
      const have = finished.get(taskId);
      if (have?.done) return Promise.resolve(have.done);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no task.finished for ${taskId} within ${timeoutMs} ms`)), timeoutMs);
        finished.set(taskId, { resolve: (v) => (clearTimeout(t), resolve(v)) });
      });
    },
    close: () => nc.drain(),
  };
}

/** One task at a time through the node-agent: latency (ms) per task after warm-up. */
async function agentSequential(d, stamps, clock, n, tag) {
  const lat = [];
  for (let i = 0; i < n + WARMUP; i++) {
    const id = `${tag}-${i}`;
    const t0 = clock();
    const pub = d.publish(id, stamps.argv(id));
    const stamp = stamps.wait(id, 60_000);
    await pub;
    const fin = await d.finished(id, 60_000);
    const started = await (fin.startedAt ? stamp : Promise.race([stamp, sleep(1000)]));
    if (i >= WARMUP && started !== undefined) lat.push(started - t0);
  }
  return lat;
}

/** N tasks published back to back: per-task latency and windows/s from first publish to last start. */
async function agentBurst(d, stamps, clock, n, tag) {
  const t0s = [];
  const pubs = [];
  for (let i = 0; i < n; i++) {
    t0s.push(clock());
    pubs.push(d.publish(`${tag}-${i}`, stamps.argv(`${tag}-${i}`)));
  }
  const stamped = t0s.map((_, i) => stamps.wait(`${tag}-${i}`, 180_000).catch(() => undefined));
  await Promise.all(pubs);
  const fins = await Promise.all(t0s.map((_, i) => d.finished(`${tag}-${i}`, 180_000)));
  const starts = await Promise.all(stamped.map((p, i) => (fins[i].startedAt ? p : Promise.race([p, sleep(1000)]))));
  const ok = starts.map((s, i) => [s, t0s[i]]).filter(([s]) => s !== undefined);
  return { lat: ok.map(([s, t]) => s - t), perSec: ok.length / ((Math.max(...ok.map(([s]) => s)) - t0s[0]) / 1000), notStarted: n - ok.length };
}

const newWindow = (argv) => ['new-window', ['-d', '-t', 'base:', '--', ...argv]];

/** Starts the B3t agent (bench/b3t-agent.mjs) on its own tmux server; returns a requester. */
async function b3tAgent(nats, socket) {
  const subject = `b3t.${rand()}`;
  const child = startChild([process.execPath, join(ROOT, 'bench/b3t-agent.mjs'), nats.url, subject, socket], { name: 'b3t agent', env: process.env });
  await child.waitForLine(/b3t ready/, 30_000);
  const nc = await connect({ servers: nats.url, name: 'b3t-client' });
  const enc = new TextEncoder();
  return {
    async request(argv) {
      const reply = new TextDecoder().decode((await nc.request(subject, enc.encode(JSON.stringify(argv)), { timeout: 60_000 })).data);
      if (reply !== 'ok') throw new Error(`b3t agent: ${reply}`);
    },
    async close() {
      await nc.drain();
      await child.stop();
    },
  };
}

/** B3t, 1 in flight: request, wait for the reply and the task's start. */
async function b3tSequential(b3t, stamps, clock, n, tag) {
  const lat = [];
  for (let i = 0; i < n + WARMUP; i++) {
    const id = `${tag}-${i}`;
    const t0 = clock();
    const reply = b3t.request(stamps.argv(id));
    const started = await stamps.wait(id);
    await reply;
    if (i >= WARMUP) lat.push(started - t0);
  }
  return lat;
}

/** B3t burst: N requests sent back to back. */
async function b3tBurst(b3t, stamps, clock, n, tag) {
  const t0s = [];
  const replies = [];
  for (let i = 0; i < n; i++) {
    t0s.push(clock());
    replies.push(b3t.request(stamps.argv(`${tag}-${i}`)));
  }
  const starts = await Promise.all(t0s.map((_, i) => stamps.wait(`${tag}-${i}`, 120_000)));
  await Promise.all(replies);
  return { lat: starts.map((s, i) => s - t0s[i]), perSec: n / ((Math.max(...starts) - t0s[0]) / 1000) };
}

/** B3t, 1 in flight: new-window through the control client, wait for the start and the window's close. */
async function tmuxSequential(tc, stamps, clock, n, tag) {
  const lat = [];
  for (let i = 0; i < n + WARMUP; i++) {
    const id = `${tag}-${i}`;
    const closed = tc.nextNotification(/window-close/, 2000);
    const t0 = clock();
    const reply = tc.run(...newWindow(stamps.argv(id)));
    const started = await stamps.wait(id);
    await reply;
    await closed;
    if (i >= WARMUP) lat.push(started - t0);
  }
  return lat;
}

/** B3t burst: N new-window commands written at once (the pipelined tmux ceiling). */
async function tmuxBurst(tc, stamps, clock, n, tag) {
  const t0 = clock();
  const replies = tc.runMany(Array.from({ length: n }, (_, i) => newWindow(stamps.argv(`${tag}-${i}`))));
  const starts = await Promise.all(Array.from({ length: n }, (_, i) => stamps.wait(`${tag}-${i}`, 120_000)));
  await replies;
  return { lat: starts.map((s) => s - t0), perSec: n / ((Math.max(...starts) - t0) / 1000) };
}

/** The tmux ceiling as a loop: one new-window after the other (reply awaited), until the last start. */
async function tmuxLoop(tc, stamps, clock, n, tag) {
  const t0 = clock();
  for (let i = 0; i < n; i++) await tc.run(...newWindow(stamps.argv(`${tag}-${i}`)));
  const starts = await Promise.all(Array.from({ length: n }, (_, i) => stamps.wait(`${tag}-${i}`, 120_000)));
  return n / ((Math.max(...starts) - t0) / 1000);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs benchmarks 2 and 3 for one governor; returns the result record. */
async function forGovernor(governor, { quick, log }) {
  const seqN = quick ? 15 : 60;
  const burstN = quick ? 20 : 100;
  const rounds = quick ? 1 : 3;
  const cleanup = new Cleanup();
  let agent;
  try {
    const nats = await startNats({ mode: 'local' });
    cleanup.add(() => nats.stop());
    const dir = tempDir('shoal-bench-');
    cleanup.add(() => dir.dispose());
    const stamps = new StampDir(dir.path);
    cleanup.add(() => stamps.close());
    const ns = `b${rand()}`;
    const nodeId = 'bench-node';
    const agentSocket = `shoal-bench-${rand()}`;
    const baseSocket = `shoal-bench-${rand()}`;
    const prefix = `shoal-bench-${rand()}`;
    cleanup.add(() => log(`  removed ${removeCgroups(prefix)} leftover cgroup(s)`));
    cleanup.add(() => killTmux(agentSocket));
    // The host CPU band refuses starts (by design) while the bench's own bursts keep the host above
    // 60% (redelivery after 2 s): this bench measures the start path, not admission control.
    const env = { SHOAL_CPU_BAND: 'off' };
    agent = await startNodeAgent({ nats, ns, nodeId, dataDir: join(dir.path, 'node'), tmuxSocket: agentSocket, governor, prefix, env });
    cleanup.add(() => agent.stop());
    const d = await dispatcher(nats, ns, nodeId, `bench-${rand()}`);
    cleanup.add(() => d.close());
    const tc = await controlClient(baseSocket);
    cleanup.add(() => tc.close());
    const b3tSocket = `shoal-bench-${rand()}`;
    cleanup.add(() => killTmux(b3tSocket));
    const b3t = await b3tAgent(nats, b3tSocket);
    cleanup.add(() => b3t.close());
    const clock = wallClock();
    const s = { agentSeq: [], b3tSeq: [], tmuxSeq: [], agentBurst: [], b3tBurst: [], tmuxBurst: [], agentRate: [], tmuxBurstRate: [], tmuxLoopRate: [], notStarted: 0 };
    for (let r = 0; r < rounds; r++) {
      log(`  [${governor}] round ${r + 1}/${rounds}: 1 in flight x${seqN}, bursts of ${burstN}`);
      s.tmuxSeq.push(...(await tmuxSequential(tc, stamps, clock, seqN, `ts${r}`)));
      s.b3tSeq.push(...(await b3tSequential(b3t, stamps, clock, seqN, `bs${r}`)));
      s.agentSeq.push(...(await agentSequential(d, stamps, clock, seqN, `as${r}`)));
      s.b3tBurst.push(...(await b3tBurst(b3t, stamps, clock, burstN, `bb${r}`)).lat);
      const tb = await tmuxBurst(tc, stamps, clock, burstN, `tb${r}`);
      s.tmuxBurst.push(...tb.lat);
      s.tmuxBurstRate.push(tb.perSec);
      const ab = await agentBurst(d, stamps, clock, burstN, `ab${r}`);
      s.agentBurst.push(...ab.lat);
      s.agentRate.push(ab.perSec);
      s.notStarted += ab.notStarted;
      s.tmuxLoopRate.push(await tmuxLoop(tc, stamps, clock, burstN, `tl${r}`));
    }
    const seqA = summary(s.agentSeq);
    const seqB = summary(s.b3tSeq);
    const seqT = summary(s.tmuxSeq);
    const burstA = summary(s.agentBurst);
    const burstB = summary(s.b3tBurst);
    const burstT = summary(s.tmuxBurst);
    const agentRate = median(s.agentRate);
    const ceiling = Math.max(median(s.tmuxBurstRate), median(s.tmuxLoopRate));
    return {
      governor: agent.governorKind,
      failedTasks: d.failures.length,
      burstTasksWithoutStart: s.notStarted,
      failures: d.failures.slice(0, 5),
      failureLog: d.failures.length ? agent.lines.filter((l) => d.failures.some((f) => l.includes(f.split(':')[0]))).slice(0, 20) : undefined,
      submitToStart: {
        sequential: { nodeAgentMs: seqA, b3tMs: seqB, tmuxAloneMs: seqT, p50Ratio: ratio(seqA.p50, seqB.p50), p99Ratio: ratio(seqA.p99, seqB.p99), p50RatioTmuxAlone: ratio(seqA.p50, seqT.p50) },
        burst: { size: burstN, nodeAgentMs: burstA, b3tMs: burstB, tmuxAloneMs: burstT, p50Ratio: ratio(burstA.p50, burstB.p50), p99Ratio: ratio(burstA.p99, burstB.p99) },
      },
      windowsPerSec: {
        nodeAgent: +agentRate.toFixed(1),
        tmuxPipelined: +median(s.tmuxBurstRate).toFixed(1),
        tmuxLoop: +median(s.tmuxLoopRate).toFixed(1),
        ceiling: +ceiling.toFixed(1),
        ratio: ratio(agentRate, ceiling),
        perRound: { nodeAgent: s.agentRate.map((x) => +x.toFixed(1)), tmuxPipelined: s.tmuxBurstRate.map((x) => +x.toFixed(1)), tmuxLoop: s.tmuxLoopRate.map((x) => +x.toFixed(1)) },
      },
    };
  } catch (e) {
    throw new Error(`${e.message}\nnode-agent (${governor}) last lines:\n${agent?.lines.slice(-25).join('\n') ?? '(not started)'}`, { cause: e });
  } finally {
    await cleanup.run();
  }
}

/** Benchmarks 2 and 3, for governor `auto` and `fallback`. */
export async function run({ quick, log }) {
  const out = {};
  for (const g of ['auto', 'fallback']) out[g] = await forGovernor(g, { quick, log });
  return out;
}
