#!/usr/bin/env node
// The run engine's own cost per task (libs/scheduler, no I/O): every task of a chain plan is
// dispatched, started and finished in order, best of 7 runs per shape, in microseconds per task.
// Usage: node scripts/engine-cost.mjs [checkout ...] (default: this one; each needs its libs built).
// Give two checkouts (e.g. a `git worktree` of an older commit) to compare them in one run.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SHAPES = [[100, 10], [200, 10], [10, 100], [2, 1000]];

function chain(phases, tasks) {
  return JSON.stringify({
    name: 'engine-cost',
    teams: [{ name: 'bench' }],
    phases: Array.from({ length: phases }, (_, k) => ({
      id: `p${k}`,
      ...(k ? { depends_on: [`p${k - 1}`] } : {}),
      tasks: Array.from({ length: tasks }, (_, i) => ({ id: `p${k}t${i}`, team: 'bench', role: `R${i}`, command: ['true'], resources: { cpu: 1, memory: 256 } })),
    })),
  });
}

async function measure(root) {
  const { RunEngine, compilePlan } = await import(pathToFileURL(join(root, 'libs/scheduler/dist/index.js')).href);
  const { parsePlanText } = await import(pathToFileURL(join(root, 'libs/protocol/dist/index.js')).href);
  const out = [];
  for (const [phases, tasks] of SHAPES) {
    const compiled = compilePlan(parsePlanText(chain(phases, tasks)).value).value;
    let best = Infinity;
    for (let rep = 0; rep < 7; rep++) {
      let now = 1;
      const engine = new RunEngine(compiled, { now: () => now++ });
      const view = engine.createView('r');
      engine.start(view);
      const t0 = performance.now();
      for (const phase of compiled.order) {
        for (const id of compiled.phases.get(phase).taskIds) {
          engine.dispatched(view, id, 1, 'n1');
          engine.started(view, id, 1, now, 'n1');
          engine.finished(view, { taskId: id, attempt: 1, outcome: 'succeeded', exitCode: 0, startedAt: now, finishedAt: now, nodeId: 'n1' });
        }
      }
      if (view.state !== 'succeeded') throw new Error(`the run ended ${view.state}`);
      best = Math.min(best, ((performance.now() - t0) * 1000) / (phases * tasks));
    }
    out.push(`${phases} x ${tasks}: ${best.toFixed(1)} us`);
  }
  return out.join(', ');
}

const roots = process.argv.slice(2).map((p) => resolve(p));
if (!roots.length) roots.push(join(dirname(fileURLToPath(import.meta.url)), '..'));
for (const root of roots) console.log(`${root}: ${await measure(root)}`);
