// W3 phase hand-off (design/BENCHMARKS.md) on the coordinator side: a real coordinator
// (apps/coordinator/dist, its own nats-server) and one simulated node-agent (bench/sim-nodes.mjs:
// the real protocol, no process started, a finish reported at once), so the gap is the
// coordinator's own: from the previous phase's end (its `finishedAt` in the run view, coordinator
// clock, set when the last finish was applied) to the first work message of the next phase leaving
// the coordinator (`dispatchedAt` of the TaskDispatched, coordinator clock, set at publish: after
// the dispatched transition was stored). Chains of 100 phases x 10 tasks and 10 x 100 (quick: 10 x 10);
// the 10 x 100 chain runs 5 times and its 45 hand-offs are pooled (9 per chain made its p50 swing).
import { Cleanup, json, sleep, summary } from './lib.mjs';
import { startOneSimStack } from './s1-sim.mjs';

/** A chain of `phases` phases of `tasks` tasks each (JSON plan). */
export function chainPlanJson(name, phases, tasks) {
  return JSON.stringify({
    name,
    teams: [{ name: 'bench' }],
    phases: Array.from({ length: phases }, (_, k) => ({
      id: `p${k}`,
      ...(k > 0 ? { depends_on: [`p${k - 1}`] } : {}),
      tasks: Array.from({ length: tasks }, (_, i) => ({ id: `p${k}t${i}`, team: 'bench', role: `R${i}`, command: ['true'], resources: { cpu: 1, memory: 256 } })),
    })),
  });
}

/** POSTs a plan and polls GET /runs/:id until the run ends; returns the run and the wall time (ms). */
export async function runToEnd(api, body, timeoutMs) {
  const t0 = performance.now();
  const { id } = await json(api, '/runs', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await json(api, `/runs/${id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(run.state)) return { run, wallMs: performance.now() - t0 };
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.state} after ${timeoutMs} ms`);
    await sleep(250); // the gaps come from the run's own timestamps: a slow poll keeps the bench's load off the coordinator
  }
}

/** Gaps (ms) of every hand-off of a finished chain run. */
export function handoffGaps(run, dispatches) {
  const publish = [];
  const decision = [];
  const nodeSide = [];
  for (let k = 1; k < run.phases.length; k++) {
    const prev = run.phases[k - 1];
    const prevTasks = run.tasks.filter((t) => t.phaseId === prev.id);
    const next = run.tasks.filter((t) => t.phaseId === run.phases[k].id);
    publish.push(Math.min(...next.map((t) => dispatches.get(`${run.id}/${t.id}`) ?? Infinity)) - prev.finishedAt);
    decision.push(Math.min(...next.map((t) => t.dispatchedAt)) - prev.finishedAt);
    nodeSide.push(Math.min(...next.map((t) => t.startedAt)) - Math.max(...prevTasks.map((t) => t.finishedAt)));
  }
  return { publish, decision, nodeSide };
}

/** W3. */
export async function run({ quick, log }) {
  const shapes = quick ? [{ phases: 10, tasks: 10, chains: 1 }] : [{ phases: 100, tasks: 10, chains: 1 }, { phases: 10, tasks: 100, chains: 5 }];
  const out = { shapes: [] };
  for (const { phases, tasks, chains } of shapes) {
    const cleanup = new Cleanup();
    try {
      const { api, stats } = await startOneSimStack({ nodeId: 'sim-w3', maxTasks: tasks, keepDispatches: true }, cleanup);
      log(`  W3: ${chains === 1 ? 'a chain' : `${chains} chains`} of ${phases} phases x ${tasks} tasks, one simulated node with ${tasks} slots`);
      await runToEnd(api, chainPlanJson('w3-warm', 3, tasks), 60_000); // warm-up: JIT, consumers, KV
      const g = { publish: [], decision: [], nodeSide: [] };
      let wallMs = 0;
      for (let c = 0; c < chains; c++) {
        const done = await runToEnd(api, chainPlanJson('w3', phases, tasks), 600_000);
        if (done.run.state !== 'succeeded') throw new Error(`W3 run ended ${done.run.state}: ${done.run.reason ?? ''}`);
        const one = handoffGaps(done.run, stats.dispatches);
        for (const k of Object.keys(g)) g[k].push(...one[k]);
        wallMs += done.wallMs;
      }
      const gap = summary(g.publish);
      const perPhaseMs = +(wallMs / (phases * chains)).toFixed(1);
      out.shapes.push({
        phases,
        tasks,
        chains,
        gapMs: gap,
        decisionGapMs: summary(g.decision),
        nodeSideGapMs: summary(g.nodeSide),
        perPhaseMs,
        goal: { gapP50MaxMs: 2, met: gap.p50 <= 2 },
      });
      log(`    hand-off (phase end -> first work published) p50 ${gap.p50} / p99 ${gap.p99} ms (n=${g.publish.length}); decided p50 ${summary(g.decision).p50} ms; ${perPhaseMs} ms per phase`);
    } finally {
      await cleanup.run();
    }
  }
  return out;
}
