// P1 placement benchmark: the scheduler library alone, 1,000 nodes x 100,000 tasks.
// Run: npx tsc -b libs/scheduler && node bench/placement.mjs [--nodes 1000] [--tasks 100000] [--reps 3]
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Placer, seededRandom } from '../libs/scheduler/dist/index.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const NODES = arg('nodes', 1000);
const TASKS = arg('tasks', 100_000);
const REPS = arg('reps', 3);

const rng = seededRandom;
const pick = (r, xs) => xs[Math.floor(r() * xs.length)];
const AGENTS = ['claude', 'codex', 'gemini'];
const REPOS = ['web', 'api', 'ml', 'infra'];

function makeNodes(r) {
  return Array.from({ length: NODES }, (_, i) => ({
    id: `node-${String(i).padStart(4, '0')}`,
    labels: { agent: AGENTS[i % 3], repo: REPOS[i % 4], ...(i % 10 === 0 ? { gpu: 'true' } : {}) },
    alive: r() > 0.01,
    capacity: { cpuPercent: 480, memoryMb: 16384, maxTasks: 16 },
    committed: { cpuPercent: 0, memoryMb: 0, tasks: 0 },
    hostCpuPercent: Math.floor(r() * 70),
  }));
}

function makeTasks(r) {
  return Array.from({ length: TASKS }, (_, i) => {
    const run = `run-${i % 20}`;
    const u = r();
    return {
      key: `${run}.t${i}.1`,
      runId: run,
      taskId: `t${i}`,
      team: 'team',
      role: pick(r, ['dev', 'reviewer', 'tester']),
      cpuPercent: pick(r, [25, 50, 100]),
      memoryMb: pick(r, [256, 512, 768]),
      priority: Math.floor(r() * 11) - 5,
      ...(u < 0.3 ? { requires: { agent: pick(r, AGENTS) } } : u < 0.4 ? { requires: { repo: pick(r, REPOS) } } : {}),
      ...(r() < 0.05 ? { batch: `b${Math.floor(i / 10)}` } : {}),
      enqueuedAt: 0,
    };
  });
}

/** Naive baseline: sort the whole queue by priority every round, scan every node for every task. */
class NaivePlacer {
  queue = [];
  enqueue(d) { this.queue.push(d); }
  round(nodes, _opts, hostHigh = 60) {
    this.queue.sort((a, b) => b.priority - a.priority || a.enqueuedAt - b.enqueuedAt);
    const free = nodes.map((n) => ({ n, cpu: n.capacity.cpuPercent - n.committed.cpuPercent, mem: n.capacity.memoryMb - n.committed.memoryMb, t: n.capacity.maxTasks - n.committed.tasks }));
    const placed = [];
    const rest = [];
    for (const d of this.queue) {
      let best;
      for (const f of free) {
        if (!f.n.alive || (f.n.hostCpuPercent ?? 0) > hostHigh || f.t < 1 || f.cpu < d.cpuPercent || f.mem < d.memoryMb) continue;
        if (d.requires && !Object.entries(d.requires).every(([k, v]) => f.n.labels[k] === v)) continue;
        if (!best || f.t > best.t) best = f;
      }
      if (best) {
        best.cpu -= d.cpuPercent; best.mem -= d.memoryMb; best.t -= 1;
        placed.push({ key: d.key, nodeId: best.n.id });
      } else rest.push(d);
    }
    this.queue = rest;
    return { placed, waiting: rest };
  }
  depth() { return this.queue.length; }
}

function simulate(makePlacer, seed, withWaiting) {
  const r = rng(seed);
  const nodes = makeNodes(r);
  const tasks = makeTasks(r);
  const byKey = new Map(tasks.map((t) => [t.key, t]));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const clock = { t: 0 };
  const placer = makePlacer(clock);
  const t0 = performance.now();
  for (const t of tasks) placer.enqueue(t);
  const enqueueMs = performance.now() - t0;
  let running = [];
  const roundMs = [];
  const perTaskUs = [];
  let placedTotal = 0;
  let rounds = 0;
  while (placer.depth() > 0 && rounds < 10_000) {
    const s = performance.now();
    const { placed } = placer.round(nodes, { waiting: withWaiting });
    const ms = performance.now() - s;
    rounds++;
    roundMs.push(ms);
    if (placed.length) perTaskUs.push((ms * 1000) / placed.length);
    placedTotal += placed.length;
    for (const p of placed) {
      const d = byKey.get(p.key);
      const n = byId.get(p.nodeId);
      n.committed.cpuPercent += d.cpuPercent; n.committed.memoryMb += d.memoryMb; n.committed.tasks += 1;
      running.push(p);
    }
    // Half of the running tasks finish between rounds; host CPU drifts.
    const still = [];
    for (const p of running) {
      if (r() < 0.5) still.push(p);
      else {
        const d = byKey.get(p.key);
        const n = byId.get(p.nodeId);
        n.committed.cpuPercent -= d.cpuPercent; n.committed.memoryMb -= d.memoryMb; n.committed.tasks -= 1;
      }
    }
    running = still;
    for (const n of nodes) n.hostCpuPercent = Math.floor(r() * 70);
    clock.t += 1000;
  }
  const totalMs = roundMs.reduce((a, b) => a + b, 0);
  return { placedTotal, rounds, totalMs, enqueueMs, roundMs, perTaskUs, left: placer.depth() };
}

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const median = (xs) => q(xs, 0.5);

function bench(name, makePlacer, withWaiting = false) {
  const reps = [];
  for (let i = 0; i < REPS; i++) reps.push(simulate(makePlacer, 42 + i, withWaiting));
  const rate = reps.map((x) => (x.placedTotal / x.totalMs) * 1000);
  const all = (f) => reps.flatMap(f);
  const res = {
    name,
    placementsPerSec: Math.round(median(rate)),
    placed: reps[0].placedTotal,
    left: reps[0].left,
    rounds: reps[0].rounds,
    enqueuePerSec: Math.round(median(reps.map((x) => (TASKS / x.enqueueMs) * 1000))),
    roundMsP50: +median(all((x) => x.roundMs)).toFixed(2),
    roundMsP99: +q(all((x) => x.roundMs), 0.99).toFixed(2),
    perTaskUsP50: +median(all((x) => x.perTaskUs)).toFixed(2),
    perTaskUsP99: +q(all((x) => x.perTaskUs), 0.99).toFixed(2),
  };
  console.log(JSON.stringify(res));
  return res;
}

console.log(`# P1 placement: ${NODES} nodes x ${TASKS} tasks, ${REPS} reps (medians; p99 over all rounds)`);
console.log(`# ${os.cpus()[0]?.model} x${os.cpus().length}, node ${process.version}, ${os.platform()} ${os.release()}`);
const shoal = bench('shoal Placer (spread)', (clock) => new Placer({ now: () => clock.t }));
bench('shoal Placer (spread, waiting list built every round)', (clock) => new Placer({ now: () => clock.t }), true);
bench('shoal Placer (pack)', (clock) => new Placer({ now: () => clock.t, strategy: 'pack' }));
const naive = bench('baseline: sort + scan every node per task', () => new NaivePlacer());
console.log(`# shoal/baseline throughput ratio: ${(shoal.placementsPerSec / naive.placementsPerSec).toFixed(2)}x; goal >= 10000 placements/s: ${shoal.placementsPerSec >= 10_000 ? 'met' : 'NOT met'}`);
