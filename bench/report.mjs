// Renders the results of `npm run bench` as one readable table.

const fmt = (x, unit = '') => (x === undefined || x === null || Number.isNaN(x) ? '-' : `${x}${unit}`);
const lat = (s) => (s ? `p50 ${fmt(s.p50)} / p99 ${fmt(s.p99)} ms` : '-');
const verdict = (ok) => (ok === undefined ? '' : ok ? 'met' : 'NOT met');

/** Rows `[figure, shoal, baseline, ratio, goal, verdict]` of every benchmark present in `results`. */
export function rows(results) {
  const b = results.benchmarks;
  const out = [];
  const p = b.placement;
  if (p && !p.error) {
    out.push(['P1 placements/s (' + p.args + ')', fmt(p.placementsPerSec), `naive ${fmt(p.baselinePlacementsPerSec)}`, `${fmt(p.ratio)}x`, '>= 10,000/s', verdict(p.goal.met)]);
  }
  const s = b['submit-start'];
  if (s && !s.error) {
    for (const [g, r] of Object.entries(s).filter(([k]) => k !== 'seconds')) {
      const seq = r.submitToStart.sequential;
      const burst = r.submitToStart.burst;
      out.push([`submit->start, 1 in flight [${r.governor}]`, lat(seq.nodeAgentMs), `B3t ${lat(seq.b3tMs)}`, `p50 ${fmt(seq.p50Ratio)}x / p99 ${fmt(seq.p99Ratio)}x`, 'p50 <= 1.3x, p99 <= 2x', verdict(seq.p50Ratio <= 1.3 && seq.p99Ratio <= 2)]);
      if (seq.tmuxAloneMs) out.push([`  same, vs tmux alone (no NATS hop)`, '', `tmux ${lat(seq.tmuxAloneMs)}`, `p50 ${fmt(seq.p50RatioTmuxAlone)}x`, '(informative)', '']);
      out.push([`submit->start, burst of ${burst.size} [${r.governor}]`, lat(burst.nodeAgentMs), `B3t ${lat(burst.b3tMs)}`, `p50 ${fmt(burst.p50Ratio)}x / p99 ${fmt(burst.p99Ratio)}x`, '(informative)', '']);
      const w = r.windowsPerSec;
      out.push([`windows/s [${r.governor}]`, fmt(w.nodeAgent), `tmux ceiling ${fmt(w.ceiling)} (pipelined ${fmt(w.tmuxPipelined)}, loop ${fmt(w.tmuxLoop)})`, `${fmt(w.ratio)}x`, '>= 0.8x', verdict(w.ratio >= 0.8)]);
      if (r.failures?.length) out.push([`  failures [${r.governor}]`, r.failures.join('; '), '', '', '', '']);
    }
  }
  const i = b.idle;
  if (i && !i.error) {
    out.push([`idle CPU, ${i.pulseMs} ms pulse, ${i.durationS} s [${i.governor}]`, `${fmt(i.nodeAgent.cpuPercentOfCore)}% of a core`, `plain Node ${fmt(i.baseline.cpuPercentOfCore)}%`, `${fmt(i.cpuRatio)}x`, '<= 0.2%', verdict(i.goals.cpuMet)]);
    out.push(['idle RSS', `p50 ${fmt(i.nodeAgent.rssMb.p50)} / max ${fmt(i.nodeAgent.rssMb.max)} MB`, `plain Node ${fmt(i.baseline.rssMb.p50)} MB`, `${fmt(i.rssRatio)}x`, '<= 90 MB', verdict(i.goals.rssMet)]);
  }
  const st = b.stack;
  if (st && !st.error) {
    const w3 = st.w3;
    if (w3) {
      out.push([`W3 hand-off gap, ${w3.phases} phases x 1`, lat(w3.gapMs), `finish->dispatch ${lat(w3.finishToDispatchMs)}`, '', 'p50 <= 2 ms', verdict(w3.goal.met)]);
      out.push(['W3 wall time per phase', `${fmt(w3.perPhaseMs)} ms`, `dispatch->start ${lat(w3.dispatchToStartMs)}`, '', '', '']);
      out.push(['W3 `true` start->finish (node-reported)', lat(w3.startToFinishMs), '', '', '', '']);
    }
    for (const w of st.w1) {
      out.push([`W1 ${w.tasks} x true, concurrency ${w.concurrency}`, `${fmt(w.shoalTasksPerSec)} tasks/s`, `B0 xargs -P${w.concurrency} ${fmt(w.b0XargsTasksPerSec)}/s`, `${fmt(w.ratio)}x`, '(informative)', '']);
    }
  }
  const it = b.intake;
  if (it && !it.error) {
    const loop = (m) => `loop busy max ${fmt(m.eventLoopBusyMaxMs)} ms (delay ${fmt(m.eventLoopDelayMaxMs)}), /healthz max ${fmt(m.healthzMs.max)} ms`;
    out.push([`intake: 8 x ${it.big.tasks}-task plans at once`, loop(it.big), `idle: ${loop(it.idle)}`, '', 'busy <= 50 ms', verdict(it.big.eventLoopBusyMaxMs <= 50)]);
    out.push([`intake: 8 x ${it.accepted.tasks}-task plans accepted`, loop(it.accepted), `largest error body ${fmt(it.big.maxResponseBytes)} B`, '', 'busy <= 50 ms', verdict(it.accepted.eventLoopBusyMaxMs <= 50)]);
  }
  const an = b.analytics;
  if (an && !an.error) {
    out.push([`analytics: GET /analytics?since=7d, ${an.tasks} past tasks`, `p50 ${fmt(an.queryMs.p50)} / max ${fmt(an.queryMs.max)} ms (first read of all ${fmt(an.coldQueryMs)} ms; restarted coordinator ${fmt(an.restart?.firstQueryMs)} ms)`, `JSON.parse of the records p50 ${fmt(an.baselineJsonParseMs.p50)} ms`, `${fmt(an.ratio)}x`, 'p50 < 1,000 ms', verdict(an.goal.met)]);
  }
  const bt = b.batch;
  if (bt && !bt.error) {
    const u = bt.unbatched, v = bt.batched;
    out.push([`batch: ${bt.tasks} prompts, wall time`, `batched ${fmt(v.wallMs)} ms`, `unbatched ${fmt(u.wallMs)} ms`, `${fmt(bt.ratios.wallTime)}x`, '(informative)', '']);
    out.push(['batch: agent start-ups', `batched ${fmt(v.agentStartups)}`, `unbatched ${fmt(u.agentStartups)}`, `${fmt(bt.ratios.agentStartups)}x`, '(informative)', '']);
    out.push(['batch: peak agent RSS per task', `batched ${fmt(v.peakRssPerTaskMb)} MB`, `unbatched ${fmt(u.peakRssPerTaskMb)} MB`, `${fmt(bt.ratios.peakRssPerTask)}x`, '(informative)', '']);
  }
  const s1 = b.s1;
  if (s1 && !s1.error) {
    for (const st of s1.steps) {
      if (st.error) {
        out.push([`S1 ${st.nodes} simulated nodes`, `failed: ${st.error.slice(0, 80)}`, '', '', '', 'NOT met']);
        continue;
      }
      out.push([`S1 ${st.nodes} nodes, ${st.tasksQueued} queued: heartbeat lag`, lat(st.heartbeatLagMs), `pulse ${s1.pulseMs} ms`, '', 'p99 < 1 pulse', verdict(st.heartbeatLagMs.p99 < s1.pulseMs)]);
      out.push([`S1 ${st.nodes} nodes: slot freed -> dispatch`, lat(st.refillMs), `queued -> dispatched ${lat(st.queuedToDispatchedMs)}`, '', 'p99 < 100 ms', verdict(st.refillMs.p99 < 100)]);
      out.push([`S1 ${st.nodes} nodes: coordinator`, `CPU ${fmt(st.coordinatorCpuPercentOfCore)}% of a core, RSS max ${fmt(st.coordinatorRssMb.max)} MB`, `${fmt(st.dispatchesPerSec)} dispatches/s (${fmt(st.coordinatorCpuMsPerDispatch)} ms CPU each), KV ${fmt(st.kvWritesPerSec)} writes/s x ${fmt(st.kvMeanDocKb)} kB`, '', '< 1 core', verdict(st.coordinatorCpuPercentOfCore < 100)]);
    }
    out.push(['S1 knee (first step missing a goal)', fmt(s1.knee), `last step meeting both: ${fmt(s1.lastMet)}`, '', '>= 1,000 nodes', '']);
  }
  const w3 = b.w3;
  if (w3 && !w3.error) {
    for (const sh of w3.shapes) out.push([`W3 hand-off, ${sh.phases} phases x ${sh.tasks}${sh.chains > 1 ? `, ${sh.chains} chains` : ''} (coordinator: phase end -> work published)`, lat(sh.gapMs), `decided ${lat(sh.decisionGapMs)}`, '', 'p50 <= 2 ms', verdict(sh.goal.met)]);
  }
  const w1 = b.w1;
  if (w1 && !w1.error) {
    for (const r of w1.rows) out.push([`W1 ${r.tasks} no-op tasks, concurrency ${r.concurrency}`, `${fmt(r.shoal.tasksPerSec)} tasks/s`, r.bullmq ? `BullMQ+Redis ${fmt(r.bullmq.tasksPerSec)}/s` : (w1.skipped ?? '-'), `${fmt(r.ratio)}x`, '>= 1x (B4)', r.ratio === null ? '' : verdict(r.ratio >= 1)]);
  }
  for (const [name, r] of Object.entries(b)) if (r.error) out.push([`${name}: FAILED`, r.error.split('\n')[0].slice(0, 100), '', '', '', '']);
  return out;
}

/** A fixed-width table of {@link rows}. */
export function renderTable(results) {
  const head = ['figure', 'shoal', 'baseline (same run)', 'ratio', 'goal', ''];
  const all = [head, ...rows(results)];
  const widths = head.map((_, c) => Math.max(...all.map((r) => String(r[c]).length)));
  const line = (r) => r.map((v, c) => String(v).padEnd(widths[c])).join(' | ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...all.slice(1).map(line)].join('\n');
}
