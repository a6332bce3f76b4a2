#!/usr/bin/env node
// Historical analytics over 10,000 past tasks (issue 10, point 4): a real coordinator
// (SHOAL_INSECURE=1 on a private nats-server) whose history stream holds 10,000 finished task
// attempts (1,000 runs of 10 tasks, 2 phases each, and 2,000 node utilisation samples), written
// straight into <NS>_HISTORY as the leader would. We time `GET /analytics?since=7d` end to end
// (HTTP, reading the stream back, decoding, aggregating; the first query reads everything, the
// next ones only what was stored since) and, as the baseline of the same run,
// a plain JSON.parse of the same records in this process. Goal: the query answers in < 1 s.
// Run alone: `npm run build && node scripts/bench-analytics.mjs [--quick]`, or `node scripts/bench.mjs --only analytics`.
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { freePort, startNats, tempDir } from '../libs/testing/dist/index.js';
import { Cleanup, rand, startChild, summary } from '../bench/lib.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const DAY = 86_400_000;

/** The history of `runs` runs of `tasksPerRun` tasks over the last 6 days, and `samples` node samples. */
export function history(runs, tasksPerRun, samples, now = Date.now()) {
  const records = [];
  const kinds = ['web/dev/claude', 'web/qa/pytest', 'ops/build/npm', 'ops/deploy/sh', 'docs/writer/codex'];
  for (let r = 0; r < runs; r++) {
    const runId = `run-${r}`;
    const start = now - 6 * DAY + Math.floor((r / runs) * (6 * DAY - 3_600_000)); // all finished an hour ago at the latest
    let t = start;
    for (const [p, phaseId] of ['build', 'check'].entries()) {
      const phaseStart = t;
      for (let i = 0; i < tasksPerRun / 2; i++) {
        const wall = 5_000 + ((r * 7919 + i * 104_729 + p) % 600_000);
        const failed = (r + i) % 17 === 0;
        const cache = i === 0 ? { cache: r % 3 === 0 ? 'miss' : 'hit' } : {};
        const hit = cache.cache === 'hit';
        records.push({
          type: 'attempt', runId, plan: `plan-${r % 20}`, phaseId, taskId: `t${p}-${i}`, kind: kinds[(i + p) % kinds.length], attempt: failed ? 2 : 1,
          nodeId: `node-${(r + i) % 8}`, queuedAt: phaseStart, ...(hit ? {} : { startedAt: phaseStart + 50 }), finishedAt: phaseStart + (hit ? 10 : wall),
          outcome: 'succeeded', exitCode: 0, ...cache,
        });
        t = Math.max(t, phaseStart + wall);
      }
      records.push({ type: 'phase', runId, plan: `plan-${r % 20}`, phaseId, state: 'succeeded', startedAt: phaseStart, finishedAt: t });
    }
    records.push({ type: 'run', runId, plan: `plan-${r % 20}`, state: r % 50 === 0 ? 'failed' : 'succeeded', submittedAt: start, startedAt: start, finishedAt: t, tasks: tasksPerRun });
  }
  for (let s = 0; s < samples; s++) {
    records.push({ type: 'node', nodeId: `node-${s % 8}`, at: now - 6 * DAY + Math.floor((s / samples) * 6 * DAY), cpuPercent: 20 + (s % 40), memUsedMb: 2000 + (s % 500), memTotalMb: 8192, running: s % 5 });
  }
  return records;
}

export async function run({ quick = false, log = console.log } = {}) {
  const cleanup = new Cleanup();
  const runs = quick ? 200 : 1000;
  const tasksPerRun = 10;
  const repeats = quick ? 3 : 7;
  try {
    const nats = await startNats({ mode: 'local' });
    cleanup.add(() => nats.stop());
    const dir = tempDir('shoal-bench-analytics-');
    cleanup.add(() => dir.dispose());
    const ns = `b${rand()}`;
    const port = await freePort();
    const coordinator = startChild([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], {
      name: 'coordinator',
      env: { ...process.env, NATS_URL: nats.url, SHOAL_NS: ns, PORT: String(port), OTEL_SDK_DISABLED: 'true', SHOAL_INSECURE: '1', SHOAL_LOG_LEVEL: 'warn' },
    });
    cleanup.add(() => coordinator.stop());
    await coordinator.waitForLine(/listening on/, 60_000);
    const api = `http://127.0.0.1:${port}`;
    const query = async () => {
      const t0 = performance.now();
      const res = await fetch(`${api}/analytics?since=7d`);
      const body = await res.json();
      if (!res.ok) throw new Error(`GET /analytics: ${res.status} ${JSON.stringify(body)}`);
      return { ms: performance.now() - t0, body };
    };
    await query(); // creates the history stream

    const records = history(runs, tasksPerRun, quick ? 400 : 2000);
    const texts = records.map((r) => JSON.stringify(r));
    const tasks = records.filter((r) => r.type === 'attempt').length;
    log(`  writing ${records.length} history records (${tasks} task attempts, ${runs} runs) into ${ns.toUpperCase()}_HISTORY`);
    const nc = await connect({ servers: nats.url });
    cleanup.add(() => nc.close());
    const js = jetstream(nc);
    for (let i = 0; i < texts.length; i += 500) {
      await Promise.all(texts.slice(i, i + 500).map((t, j) => js.publish(`${ns}.history.${records[i + j].type}`, t)));
    }

    // the first query reads and decodes every record (and compiles the decoder and the aggregation);
    // the next ones read only what was stored since (the coordinator keeps the decoded history)
    const cold = await query();
    const figures = [];
    let report = cold.body;
    for (let i = 0; i < repeats; i++) {
      const q = await query();
      figures.push(q.ms);
      report = q.body;
    }
    if (report.tasks.attempts !== tasks || report.runs.total !== runs) throw new Error(`the report counts ${report.tasks.attempts} attempts and ${report.runs.total} runs, expected ${tasks} and ${runs}`);

    // a coordinator started now reads the last 7 days into memory 5 s after its start (in the
    // background); its first query then reads only what came since
    const port2 = await freePort();
    const second = startChild([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], {
      name: 'coordinator 2',
      env: { ...process.env, NATS_URL: nats.url, SHOAL_NS: ns, PORT: String(port2), OTEL_SDK_DISABLED: 'true', SHOAL_INSECURE: '1', SHOAL_LOG_LEVEL: 'info' },
    });
    cleanup.add(() => second.stop());
    const preloaded = await second.waitForLine(/read into memory: \d+ record\(s\) in \d+ ms/, 120_000);
    const [, preloadRecords, preloadMs] = /read into memory: (\d+) record\(s\) in (\d+) ms/.exec(preloaded);
    const t0 = performance.now();
    const res2 = await fetch(`http://127.0.0.1:${port2}/analytics?since=7d`);
    const body2 = await res2.json();
    const afterPreloadMs = performance.now() - t0;
    if (body2.tasks?.attempts !== tasks) throw new Error(`the second coordinator counts ${body2.tasks?.attempts} attempts, expected ${tasks}`);

    const baseline = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      const parsed = texts.map((t) => JSON.parse(t));
      baseline.push(performance.now() - t0);
      if (parsed.length !== texts.length) throw new Error('baseline lost records');
    }
    const queryMs = summary(figures);
    const parseMs = summary(baseline);
    const out = {
      records: records.length,
      tasks,
      runs,
      coldQueryMs: +cold.ms.toFixed(1),
      restart: { preloadRecords: Number(preloadRecords), preloadMs: Number(preloadMs), firstQueryMs: +afterPreloadMs.toFixed(1) },
      queryMs,
      baselineJsonParseMs: parseMs,
      ratio: +(queryMs.p50 / parseMs.p50).toFixed(1),
      reportBytes: Buffer.byteLength(JSON.stringify(report)),
      goal: { queryP50Ms: 1000 },
      machineLoad: (await import('node:os')).loadavg().map((x) => +x.toFixed(2)),
    };
    out.goal.met = queryMs.p50 < 1000;
    log(render(out));
    return out;
  } finally {
    await cleanup.run();
  }
}

/** Human-readable lines of a result. */
export function render(r) {
  return [
    `GET /analytics?since=7d over ${r.tasks} task attempts (${r.records} records): p50 ${r.queryMs.p50} ms, max ${r.queryMs.max} ms (n=${r.queryMs.n}); first query (reads all) ${r.coldQueryMs} ms; ${r.reportBytes} B answer`,
    `a restarted coordinator: read ${r.restart.preloadRecords} records into memory in the background in ${r.restart.preloadMs} ms, then its first query took ${r.restart.firstQueryMs} ms`,
    `baseline, JSON.parse of the same ${r.records} records in-process: p50 ${r.baselineJsonParseMs.p50} ms (query/baseline ${r.ratio}x)`,
    `goal: query p50 < ${r.goal.queryP50Ms} ms: ${r.goal.met ? 'met' : 'NOT met'} (load average at the end ${r.machineLoad.join(' ')})`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run({ quick: process.argv.includes('--quick') });
}
