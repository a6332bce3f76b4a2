// Benchmark: batches in one session (issue 11). N interactive tasks, each one prompt to a stand-in
// agent with a real start-up cost (test/fixtures/stand-in-agent.mjs: fills ~100 MB and waits 1.5 s
// before its prompt, then works 300 ms per prompt), run through a real stack (NATS, coordinator,
// node-agent, tmux) on a node with ONE task slot:
//   unbatched: N tasks, each its own agent (started, told its prompt, answers, exits);
//   batched:   the same N tasks with one `batch` key: one agent session answers the N prompts in turn.
// Measured in the same run: wall time (submit -> run finished), agent start-ups (the stand-in records
// each), peak RSS of the agent processes per task (sum over agent processes of each one's peak RSS,
// sampled from /proc every 50 ms, divided by N), and the median task time (node-reported).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../libs/testing/dist/index.js';
import { Cleanup, json, procSample, ratio, sleep, summary } from './lib.mjs';
import { startStack } from './stack-start.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const STAND_IN = join(ROOT, 'test/fixtures/stand-in-agent.mjs');
const STARTUP_MS = 1500;
const MEMORY_MB = 100;
const WORK_MS = 300;

/** The plan: N interactive tasks, one prompt each; batched ones share a batch key (and a role: one window). */
function plan(name, n, record, batched) {
  const lines = [`name: ${name}`, 'teams: [{ name: bench }]', 'phases:', '  - id: all', '    tasks:'];
  const maxPrompts = batched ? 0 : 1;
  const command = JSON.stringify([process.execPath, STAND_IN, record, String(STARTUP_MS), String(MEMORY_MB), String(WORK_MS), String(maxPrompts)]);
  for (let i = 0; i < n; i++) {
    const role = batched ? 'Agent' : `Agent${i}`;
    lines.push(`      - { id: t${i}, team: bench, role: ${role}, command: ${command}, interactive: true, prompt: "write part ${i} of the report", timeout: 120s${batched ? ', batch: report' : ''} }`);
  }
  return lines.join('\n') + '\n';
}

/** Pids of stand-in agents recording into `record` (from /proc cmdlines). */
function agentPids(record) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(STAND_IN) && cmd.includes(record)) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Submits the plan, samples agent RSS until the run ends; returns figures. */
async function measure(api, name, n, record, batched) {
  const peaks = new Map();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const pid of agentPids(record)) {
        const s = procSample(pid);
        if (s) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, s.rssKb / 1024));
      }
      await sleep(50);
    }
  })();
  const t0 = performance.now();
  const { id } = await json(api, '/runs', { method: 'POST', body: plan(name, n, record, batched), headers: { 'content-type': 'application/yaml' } });
  let run;
  for (;;) {
    run = await json(api, `/runs/${id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(run.state)) break;
    if (performance.now() - t0 > 300_000) throw new Error(`run ${id} still ${run.state} after 300 s`);
    await sleep(25);
  }
  const wallMs = performance.now() - t0;
  sampling = false;
  await sampler;
  if (run.state !== 'succeeded') throw new Error(`${name}: run ${run.state}: ${run.tasks.map((t) => `${t.id} ${t.state} ${t.reason ?? ''}`).join('; ')}`);
  const rec = readFileSync(record, 'utf8').split('\n').filter(Boolean);
  const startups = rec.filter((l) => l.startsWith('start ')).length;
  const answered = rec.filter((l) => !l.startsWith('start ')).length;
  if (answered !== n) throw new Error(`${name}: ${answered} prompts reached the agents, expected ${n}`);
  const peakSum = [...peaks.values()].reduce((a, b) => a + b, 0);
  return {
    wallMs: Math.round(wallMs),
    agentStartups: startups,
    agentProcessesSeen: peaks.size,
    peakRssPerTaskMb: +(peakSum / n).toFixed(1),
    peakRssPerAgentMb: summary([...peaks.values()]),
    taskMs: summary(run.tasks.map((t) => t.finishedAt - t.startedAt)),
  };
}

/** The batch benchmark: unbatched vs batched in one stack, same node, same agent, same prompts. */
export async function run({ quick, log }) {
  const n = 6;
  const cleanup = new Cleanup();
  try {
    const dir = tempDir('shoal-bench-batch-');
    cleanup.add(() => dir.dispose());
    const { api, agent } = await startStack({ maxTasks: 1, nodeId: 'batch-node', dir: dir.path }, cleanup);
    log(`stand-in agent: ${STARTUP_MS} ms start-up, ${MEMORY_MB} MB filled, ${WORK_MS} ms per prompt; ${n} tasks; node with 1 task slot [${agent.governorKind}]${quick ? ' (quick: same N, one round)' : ''}`);
    const unbatched = await measure(api, 'bench-unbatched', n, join(dir.path, 'unbatched.txt'), false);
    log(`unbatched: ${JSON.stringify(unbatched)}`);
    const batched = await measure(api, 'bench-batched', n, join(dir.path, 'batched.txt'), true);
    log(`batched:   ${JSON.stringify(batched)}`);
    const ratios = {
      wallTime: ratio(batched.wallMs, unbatched.wallMs),
      agentStartups: ratio(batched.agentStartups, unbatched.agentStartups),
      peakRssPerTask: ratio(batched.peakRssPerTaskMb, unbatched.peakRssPerTaskMb),
    };
    log(`batched/unbatched: wall ${ratios.wallTime}x, start-ups ${ratios.agentStartups}x, peak RSS per task ${ratios.peakRssPerTask}x`);
    return { tasks: n, governor: agent.governorKind, standIn: { startupMs: STARTUP_MS, memoryMb: MEMORY_MB, workMs: WORK_MS }, unbatched, batched, ratios };
  } finally {
    await cleanup.run();
  }
}
