import { AGENT_STATES, type Heartbeat } from '@shoal/protocol';
import type { Labels } from '@shoal/runtime';

/** Labelled samples of one gauge. */
export type Samples = Array<readonly [Labels, number]>;

const MB = 1024 * 1024;

/** Band bounds (0..1); none when the band is off. */
export function bandLimits(hb: Heartbeat): Samples {
  return hb.band ? [[{ bound: 'low' }, hb.band.low / 100], [{ bound: 'high' }, hb.band.high / 100]] : [];
}

/** (cpu - low) / (high - low): 0 at the low bound, 1 at the high bound; none when the band is off. */
export function bandPosition(hb: Heartbeat): Samples {
  const b = hb.band;
  return b && b.high > b.low ? [[{}, (hb.host.cpuPercent - b.low) / (b.high - b.low)]] : [];
}

/** The band state as a state set; none when the band is off. */
export function bandState(hb: Heartbeat): Samples {
  const b = hb.band;
  return b ? (['below', 'ok', 'above'] as const).map((state) => [{ state }, b.state === state ? 1 : 0] as const) : [];
}

/** Running agents per detected state, every state present (an entry not yet observed is `unknown`). */
export function agentStates(running: Heartbeat['running']): Samples {
  const counts = new Map<string, number>(AGENT_STATES.map((s) => [s, 0]));
  for (const r of running) {
    const s = r.agent?.state ?? 'unknown';
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts].map(([state, n]) => [{ state }, n] as const);
}

/** Agent CPU (cores) or RSS (bytes) summed per task kind; `kindOf` names an entry's kind (`unknown` when it cannot). */
export function agentUsage(running: Heartbeat['running'], which: 'cpu' | 'rss', kindOf: (runId: string, taskId: string) => string | undefined): Samples {
  const sums = new Map<string, number>();
  for (const r of running) {
    const v = which === 'cpu' ? r.cpuPercent : r.rssMb;
    if (v === undefined) continue;
    const kind = kindOf(r.runId, r.taskId) ?? 'unknown';
    sums.set(kind, (sums.get(kind) ?? 0) + (which === 'cpu' ? v / 100 : v * MB));
  }
  return [...sums].map(([task_kind, v]) => [{ task_kind }, v] as const);
}
