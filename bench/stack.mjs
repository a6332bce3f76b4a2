// Benchmark 5: the whole stack (coordinator + node-agent + NATS + tmux).
// W3 phase hand-off: a chain of phases of 1 trivial task; gap = next phase's first start - previous phase's last finish.
// W1 throughput: N `true` tasks in one phase vs `xargs -P<c>` running the same N (B0).
import { spawn } from 'node:child_process';
import { tempDir } from '../libs/testing/dist/index.js';
import { Cleanup, json, ratio, sleep, summary } from './lib.mjs';
import { startStack } from './stack-start.mjs';


/** Submits a plan and polls GET /runs/:id until it ends; returns the run and the wall time (ms). */
async function runPlan(api, plan, timeoutMs) {
  const t0 = performance.now();
  const { id } = await json(api, '/runs', { method: 'POST', body: plan, headers: { 'content-type': 'application/yaml' } });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await json(api, `/runs/${id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(run.state)) return { run, wallMs: performance.now() - t0 };
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.state} after ${timeoutMs} ms`);
    await sleep(25);
  }
}

const task = (id, role) => `      - { id: ${id}, team: bench, role: ${role}, command: ["true"], resources: { cpu: 1, memory: 256 } }`;

function chainPlan(phases) {
  const lines = ['name: bench-chain', 'teams: [{ name: bench }]', 'phases:'];
  for (let i = 0; i < phases; i++) {
    lines.push(`  - id: p${i}`);
    if (i > 0) lines.push(`    depends_on: [p${i - 1}]`);
    lines.push('    tasks:', task(`t${i}`, 'Step'));
  }
  return lines.join('\n') + '\n';
}

function widePlan(n) {
  const lines = ['name: bench-wide', 'teams: [{ name: bench }]', 'phases:', '  - id: all', '    tasks:'];
  for (let i = 0; i < n; i++) lines.push(task(`t${i}`, `W${i}`));
  return lines.join('\n') + '\n';
}

/** Phase hand-off gaps (ms) of a finished chain run, from the task timestamps. */
function handoffGaps(run, phases) {
  const byPhase = (p) => run.tasks.filter((t) => t.phaseId === p);
  const gaps = [];
  const coordGaps = [];
  for (let i = 1; i < phases; i++) {
    const prev = byPhase(`p${i - 1}`);
    const next = byPhase(`p${i}`);
    const lastFinish = Math.max(...prev.map((t) => t.finishedAt));
    gaps.push(Math.min(...next.map((t) => t.startedAt)) - lastFinish);
    coordGaps.push(Math.min(...next.map((t) => t.dispatchedAt)) - lastFinish);
  }
  return { gaps, coordGaps };
}

/** B0: `xargs -P<c> -n1 true` over N lines; returns the wall time (ms). */
function xargs(n, concurrency) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('xargs', [`-P${concurrency}`, '-n1', 'true'], { stdio: ['pipe', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`xargs exited ${code}`))));
    p.stdin.end(Array.from({ length: n }, (_, i) => String(i)).join('\n') + '\n');
  });
}

/** Benchmark 5. */
export async function run({ quick, log }) {
  const chain = quick ? 10 : 50;
  const n = quick ? 40 : 100;
  const concurrencies = quick ? [2] : [2, 8];
  const out = { w3: undefined, w1: [] };
  for (const c of concurrencies) {
    const cleanup = new Cleanup();
    try {
      const dir = tempDir('shoal-bench-');
      cleanup.add(() => dir.dispose());
      const { api } = await startStack({ maxTasks: c, nodeId: 'stack-node', dir: dir.path }, cleanup);
      if (!out.w3) {
        log(`  W3: chain of ${chain} phases x 1 task`);
        await runPlan(api, chainPlan(2), 60_000);
        const { run: r, wallMs } = await runPlan(api, chainPlan(chain), 300_000);
        if (r.state !== 'succeeded') throw new Error(`W3 run ended ${r.state}: ${r.reason ?? ''}`);
        const { gaps, coordGaps } = handoffGaps(r, chain);
        out.w3 = {
          phases: chain,
          gapMs: summary(gaps),
          finishToDispatchMs: summary(coordGaps),
          dispatchToStartMs: summary(r.tasks.map((t) => t.startedAt - t.dispatchedAt)),
          startToFinishMs: summary(r.tasks.map((t) => t.finishedAt - t.startedAt)),
          wallMs: Math.round(wallMs),
          perPhaseMs: +(wallMs / chain).toFixed(1),
          goal: { gapP50MaxMs: 2, met: summary(gaps).p50 <= 2 },
        };
      }
      log(`  W1: ${n} x true in one phase, node concurrency ${c}, vs xargs -P${c}`);
      const reps = 1;
      const shoalRates = [];
      const coordRates = [];
      const b0Rates = [];
      for (let k = 0; k < reps; k++) {
        b0Rates.push(n / ((await xargs(n, c)) / 1000));
        const { run: r, wallMs } = await runPlan(api, widePlan(n), 600_000);
        if (r.state !== 'succeeded') throw new Error(`W1 run ended ${r.state}: ${r.reason ?? ''}`);
        shoalRates.push(n / (wallMs / 1000));
        coordRates.push(n / ((r.finishedAt - r.submittedAt) / 1000));
      }
      const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      out.w1.push({
        tasks: n,
        concurrency: c,
        shoalTasksPerSec: +med(shoalRates).toFixed(1),
        shoalTasksPerSecByRunTimestamps: +med(coordRates).toFixed(1),
        b0XargsTasksPerSec: +med(b0Rates).toFixed(1),
        ratio: ratio(med(shoalRates), med(b0Rates)),
        reps,
      });
    } finally {
      await cleanup.run();
    }
  }
  return out;
}
