// Benchmark 4: idle node-agent CPU% of a core and RSS at a 2.5 s pulse, read from /proc,
// vs a plain Node process publishing a heartbeat every 2.5 s (measured at the same time).
import { join } from 'node:path';
import { startNats, tempDir } from '../libs/testing/dist/index.js';
import { CLK_TCK, Cleanup, killTmux, procSample, rand, ratio, removeCgroups, sleep, startChild, summary } from './lib.mjs';
import { startNodeAgent } from './node-agent-start.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const PULSE_MS = 2500;

/** Samples CPU (% of one core per window) and RSS (MB) of several pids over `durationMs`. */
async function sample(pids, durationMs, windowMs) {
  const series = Object.fromEntries(Object.keys(pids).map((k) => [k, { cpu: [], rssMb: [] }]));
  const first = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procSample(pid)]));
  let prev = { ...first };
  const t0 = performance.now();
  let tPrev = t0;
  while (performance.now() - t0 < durationMs) {
    await sleep(windowMs);
    const t = performance.now();
    for (const [k, pid] of Object.entries(pids)) {
      const now = procSample(pid);
      if (!now) throw new Error(`${k} (pid ${pid}) exited during the idle benchmark`);
      series[k].cpu.push(((now.ticks - prev[k].ticks) / CLK_TCK / ((t - tPrev) / 1000)) * 100);
      series[k].rssMb.push(now.rssKb / 1024);
      prev[k] = now;
    }
    tPrev = t;
  }
  const elapsedS = (performance.now() - t0) / 1000;
  return Object.fromEntries(
    Object.entries(series).map(([k, s]) => [
      k,
      {
        cpuPercentOfCore: +(((prev[k].ticks - first[k].ticks) / CLK_TCK / elapsedS) * 100).toFixed(3),
        cpuPerWindow: summary(s.cpu),
        rssMb: summary(s.rssMb),
      },
    ]),
  );
}

/** Benchmark 4. */
export async function run({ quick, log }) {
  const durationMs = quick ? 15_000 : 120_000;
  const cleanup = new Cleanup();
  try {
    const nats = await startNats({ mode: 'local' });
    cleanup.add(() => nats.stop());
    const dir = tempDir('shoal-bench-');
    cleanup.add(() => dir.dispose());
    const ns = `b${rand()}`;
    const socket = `shoal-bench-${rand()}`;
    const prefix = `shoal-bench-${rand()}`;
    cleanup.add(() => removeCgroups(prefix));
    cleanup.add(() => killTmux(socket));
    const agent = await startNodeAgent({ nats, ns, nodeId: 'idle-node', dataDir: join(dir.path, 'node'), tmuxSocket: socket, governor: 'auto', prefix, env: { SHOAL_PULSE_MS: String(PULSE_MS) } });
    cleanup.add(() => agent.stop());
    const base = startChild([process.execPath, join(ROOT, 'bench/idle-baseline-agent.mjs'), nats.url, `${ns}.hb.baseline`, String(PULSE_MS)], { name: 'idle baseline' });
    cleanup.add(() => base.stop());
    await base.waitForLine(/baseline ready/);
    // Idle is the steady state: V8's idle-time memory reducer runs a few full GCs (~60-80 ms in all)
    // about 15 s after start-up; settle past it so start-up work is not counted as idle cost.
    const settleMs = quick ? 3000 : 30_000;
    log(`  settling ${settleMs / 1000} s, then sampling ${durationMs / 1000} s (node-agent pid ${agent.pid}, baseline pid ${base.pid})`);
    await sleep(settleMs);
    const r = await sample({ nodeAgent: agent.pid, baseline: base.pid }, durationMs, 5000);
    return {
      pulseMs: PULSE_MS,
      durationS: durationMs / 1000,
      governor: agent.governorKind,
      nodeAgent: r.nodeAgent,
      baseline: r.baseline,
      cpuRatio: ratio(r.nodeAgent.cpuPercentOfCore, r.baseline.cpuPercentOfCore),
      rssRatio: ratio(r.nodeAgent.rssMb.p50, r.baseline.rssMb.p50),
      goals: { cpuPercentOfCoreMax: 0.2, rssMbMax: 90, cpuMet: r.nodeAgent.cpuPercentOfCore <= 0.2, rssMet: r.nodeAgent.rssMb.max <= 90 },
    };
  } finally {
    await cleanup.run();
  }
}
