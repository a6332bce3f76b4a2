// W1 throughput (design/BENCHMARKS.md) against B4, BullMQ + Redis, in the same run, like with like:
// N no-op tasks in one phase, worker concurrency c, on both sides.
// - Shoal: POST /runs to a real coordinator (apps/coordinator/dist, its own nats-server, file-backed
//   JetStream) of N tasks (plans of at most 2,000, the plan limit) and one simulated node-agent
//   (bench/sim-nodes.mjs: the real protocol, `maxTasks` = c, each attempt reports started then
//   finished at once: no process); time from the first POST until every run is `succeeded`.
// - BullMQ 6 + Redis (Debian `redis-server`, AOF `everysec`, its own port and temp dir): `addBulk`
//   of N jobs, one Worker with `concurrency` c and a no-op processor; time from the first add
//   until the N-th `completed` event.
import { existsSync } from 'node:fs';
import { Cleanup, freePort, json, rand, ratio, sleep, startChild } from './lib.mjs';
import { tempDir } from '../libs/testing/dist/index.js';
import { startOneSimStack } from './s1-sim.mjs';

const REDIS = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
const PLAN_MAX = 2000;
export const REDIS_MISSING = `redis-server not found at ${REDIS}: install it with \`apt-get install -y redis-server\` (Debian) or set REDIS_SERVER`;

/** N no-op tasks as plans of at most 2,000 tasks in one phase each. */
function plans(n) {
  const out = [];
  for (let start = 0, k = 0; start < n; start += PLAN_MAX, k++) {
    const size = Math.min(PLAN_MAX, n - start);
    const tasks = Array.from({ length: size }, (_, i) => ({ id: `t${i}`, team: 'bench', role: `W${i}`, command: ['true'], resources: { cpu: 1, memory: 256 } }));
    out.push(JSON.stringify({ name: `w1-${k}`, teams: [{ name: 'bench' }], phases: [{ id: 'all', tasks }] }));
  }
  return out;
}

/** Shoal: tasks/s for `n` no-op tasks at concurrency `c` (a fresh coordinator, NATS and node). */
async function shoal(n, c) {
  const cleanup = new Cleanup();
  try {
    const { api, stats } = await startOneSimStack({ nodeId: 'sim-w1', maxTasks: c }, cleanup);
    const bodies = plans(n);
    const t0 = Date.now();
    const ids = [];
    for (const body of bodies) ids.push((await json(api, '/runs', { method: 'POST', body, headers: { 'content-type': 'application/json' } })).id);
    // the end is the runs' own finishedAt (coordinator clock, this host): polled slowly, so that
    // serializing the views for the bench costs the coordinator little
    const end = Date.now() + 900_000;
    let last = 0;
    for (const id of ids) {
      for (;;) {
        const r = await json(api, `/runs/${id}`);
        if (r.state === 'succeeded') {
          last = Math.max(last, r.finishedAt);
          break;
        }
        if (['failed', 'cancelled'].includes(r.state)) throw new Error(`W1 run ${id} ended ${r.state}: ${r.reason ?? ''}`);
        if (Date.now() > end) throw new Error(`W1 run ${id} still ${r.state} after 900 s`);
        await sleep(stats.finished >= n ? 50 : 500);
      }
    }
    const s = (last - t0) / 1000;
    return { tasksPerSec: +(n / s).toFixed(1), seconds: +s.toFixed(2) };
  } finally {
    await cleanup.run();
  }
}

/** Starts redis-server (AOF everysec, no RDB snapshots) on a free port in a temp dir. */
async function startRedis(cleanup) {
  const dir = tempDir('shoal-bench-redis-');
  cleanup.add(() => dir.dispose());
  const port = await freePort();
  const redis = startChild([REDIS, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir.path, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--protected-mode', 'no'], { name: 'redis-server', env: process.env });
  cleanup.add(() => redis.stop(5000));
  await redis.waitForLine(/Ready to accept connections/, 30_000);
  return { host: '127.0.0.1', port };
}

/** BullMQ: tasks/s for `n` no-op jobs at worker concurrency `c` (a fresh queue on `redis`). */
async function bullmq(redis, n, c) {
  const { Queue, Worker } = await import('bullmq');
  const name = `w1-${rand()}`;
  const connection = { host: redis.host, port: redis.port, maxRetriesPerRequest: null };
  const queue = new Queue(name, { connection });
  let done = 0;
  let resolveAll;
  const all = new Promise((r) => (resolveAll = r));
  const worker = new Worker(name, async () => undefined, { connection, concurrency: c, autorun: false });
  worker.on('completed', () => {
    if (++done === n) resolveAll(performance.now());
  });
  try {
    await queue.waitUntilReady();
    await worker.waitUntilReady();
    void worker.run();
    const t0 = performance.now();
    for (let start = 0; start < n; start += 1000) {
      await queue.addBulk(Array.from({ length: Math.min(1000, n - start) }, (_, i) => ({ name: 'noop', data: { i: start + i } })));
    }
    const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error(`BullMQ: ${done}/${n} jobs completed after 600 s`)), 600_000).unref());
    const t1 = await Promise.race([all, timeout]);
    const s = (t1 - t0) / 1000;
    return { tasksPerSec: +(n / s).toFixed(1), seconds: +s.toFixed(2) };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

/** W1 vs B4. */
export async function run({ quick, log }) {
  // W1_COMBOS=1000x2,10000x32 (tasks x concurrency) overrides the set
  const combos = process.env.W1_COMBOS
    ? process.env.W1_COMBOS.split(',').map((x) => ({ n: Number(x.split('x')[0]), c: Number(x.split('x')[1]) }))
    : quick
      ? [{ n: 200, c: 8 }]
      : [{ n: 1000, c: 2 }, { n: 1000, c: 8 }, { n: 1000, c: 32 }, { n: 10_000, c: 32 }];
  const haveRedis = existsSync(REDIS);
  if (!haveRedis) log(`  W1: ${REDIS_MISSING}; the BullMQ baseline is skipped`);
  const cleanup = new Cleanup();
  const rows = [];
  try {
    const redis = haveRedis ? await startRedis(cleanup) : undefined;
    for (const { n, c } of combos) {
      log(`  W1: ${n} no-op tasks, concurrency ${c}: Shoal (coordinator + simulated node) vs BullMQ + Redis`);
      const b4 = redis ? await bullmq(redis, n, c) : undefined;
      const s = await shoal(n, c);
      const row = { tasks: n, concurrency: c, shoal: s, bullmq: b4 ?? null, ratio: b4 ? ratio(s.tasksPerSec, b4.tasksPerSec) : null };
      rows.push(row);
      log(`    Shoal ${s.tasksPerSec} tasks/s, BullMQ ${b4?.tasksPerSec ?? '-'} jobs/s: ratio ${row.ratio ?? '-'}`);
    }
  } finally {
    await cleanup.run();
  }
  return { rows, redis: haveRedis ? REDIS : null, skipped: haveRedis ? null : REDIS_MISSING };
}
