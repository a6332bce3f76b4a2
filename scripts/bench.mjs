#!/usr/bin/env node
// `npm run bench` entry: runs the benchmarks against the BUILT apps/libs, prints a table and
// writes bench-results/<timestamp>.json. Options: --quick (small N, < 1 min), --only <name[,name]>.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo } from '../bench/lib.mjs';
import { renderTable } from '../bench/report.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const BENCHES = {
  placement: () => import('../bench/p1-placement.mjs'),
  'submit-start': () => import('../bench/node-agent-start.mjs'),
  idle: () => import('../bench/idle.mjs'),
  stack: () => import('../bench/stack.mjs'),
  intake: () => import('./bench-intake.mjs'),
  analytics: () => import('./bench-analytics.mjs'),
  batch: () => import('../bench/batch.mjs'),
  s1: () => import('../bench/s1-sim.mjs'),
  w1: () => import('../bench/w1-bullmq.mjs'),
  w3: () => import('../bench/w3-handoff.mjs'),
};

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : Object.keys(BENCHES);
const unknown = only.filter((n) => !(n in BENCHES));
if (argv.includes('--help') || unknown.length || (onlyAt >= 0 && !only.length)) {
  console.log(`usage: node scripts/bench.mjs [--quick] [--only ${Object.keys(BENCHES).join('|')}[,...]]`);
  process.exit(unknown.length ? 2 : 0);
}

const log = (s) => console.log(s);
const started = new Date();
const results = { startedAt: started.toISOString(), mode: quick ? 'quick' : 'full', machine: machineInfo(), benchmarks: {} };
log(`# Shoal benchmarks (${results.mode}) ${results.startedAt}`);
log(`# ${results.machine.cpuModel} x${results.machine.cores}, ${results.machine.memTotalMb} MB, node ${results.machine.node}, tmux ${results.machine.tmux}, nats-server ${results.machine.natsServer}, load ${results.machine.loadAvg.join(' ')}`);

let failed = 0;
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  log('interrupted: finishing cleanup of the current benchmark');
});
for (const name of only) {
  if (interrupted) break;
  const t0 = performance.now();
  log(`\n== ${name}`);
  try {
    const mod = await BENCHES[name]();
    results.benchmarks[name] = { ...(await mod.run({ quick, log })), seconds: +((performance.now() - t0) / 1000).toFixed(1) };
  } catch (e) {
    failed++;
    results.benchmarks[name] = { error: String(e?.stack ?? e) };
    log(`!! ${name} failed: ${e?.stack ?? e}`);
  }
}
results.finishedAt = new Date().toISOString();
results.machine.loadAvgAfter = (await import('node:os')).loadavg().map((x) => +x.toFixed(2));

log(`\n${renderTable(results)}`);
const dir = join(ROOT, 'bench-results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
log(`\nwrote ${file}`);
process.exit(failed ? 1 : 0);
