import { InvalidArgumentError } from 'commander';
import { type AnalyticsReport, WINDOW_FORM, parseWindow } from '@shoal/protocol';
import type { ApiClient } from '../api-client.js';
import type { RegisterCommand } from './task-api.js';

/** `GET /analytics?since=`: the report of the window ending now. */
export function fetchAnalytics(api: ApiClient, since: string): Promise<AnalyticsReport> {
  return api.analytics(since);
}

/** `shoal analytics [--since 7d]` (`--json`: the AnalyticsReport): completion times per kind, rates, slowest phases, utilisation, cache, agent-hours. */
export const registerAnalyticsCommand: RegisterCommand = (program, { api, act, output }) => {
  program
    .command('analytics')
    .description('history of runs and tasks: p50/p95 per task kind, success and retry rates, slowest phases, node utilisation, cache hits, agent-hours')
    .option('--since <window>', `how far back (${WINDOW_FORM})`, (v) => {
      if (parseWindow(v) === undefined) throw new InvalidArgumentError(`must be ${WINDOW_FORM}`);
      return v;
    }, '7d')
    .action(
      act(async (o: { since: string }) => {
        output.show(await fetchAnalytics(api(), o.since), (report) => renderAnalytics(report, o.since));
        return 0;
      }),
    );
};

/** The report as readable text: a summary, then tables. */
export function renderAnalytics(r: AnalyticsReport, since: string): string {
  const lines: string[] = [];
  lines.push(`analytics of the last ${since} (${iso(r.since)} .. ${iso(r.until)})`);
  lines.push(`runs: ${r.runs.total} (${r.runs.succeeded} succeeded, ${r.runs.failed} failed, ${r.runs.cancelled} cancelled)`);
  lines.push(
    `tasks: ${r.tasks.succeeded} succeeded, ${r.tasks.failed} failed; success rate ${pct(r.tasks.successRate)}; ` +
      `attempts ${r.tasks.attempts}, retry rate ${pct(r.tasks.retryRate)}`,
  );
  lines.push(`cache: ${r.cache.hits} hit(s), ${r.cache.misses} miss(es), hit rate ${pct(r.cache.hitRate)}; agent-hours ${r.agentHours.toFixed(2)}`);
  if (r.history?.dropped) lines.push(`note: ${r.history.dropped} history record(s) were dropped by the coordinator (JetStream did not take them in time)`);
  lines.push('', 'by task kind (wall time of succeeded attempts)');
  lines.push(
    ...table(
      ['KIND', 'ATTEMPTS', 'OK', 'FAILED', 'RETRIED', 'P50', 'P95'],
      r.byKind.map((k) => [k.kind, String(k.attempts), String(k.succeeded), String(k.failed), String(k.retried), dur(k.p50Ms), dur(k.p95Ms)]),
    ),
  );
  lines.push('', 'slowest phases');
  lines.push(...table(['RUN', 'PLAN', 'PHASE', 'DURATION'], r.slowestPhases.map((p) => [p.runId, p.plan, p.phaseId, dur(p.durationMs)])));
  lines.push('', 'node utilisation (mean CPU and memory over the window, most agents at once)');
  lines.push(
    ...table(
      ['NODE', 'SAMPLES', 'CPU %', 'PEAK CPU %', 'MEM MB', 'MAX RUNNING'],
      r.utilisation.map((n) => {
        const cpu = n.points.map((p) => p.cpuPercent);
        const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
        return [n.nodeId, String(n.points.length), mean(cpu).toFixed(1), Math.max(0, ...cpu).toFixed(1), mean(n.points.map((p) => p.memUsedMb)).toFixed(0), String(Math.max(0, ...n.points.map((p) => p.running)))];
      }),
    ),
  );
  return lines.join('\n');
}

/** Left-aligned columns; `(none)` under the header of an empty table. */
function table(header: string[], rows: string[][]): string[] {
  if (!rows.length) return [`  ${header.join('  ')}`, '  (none)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

function pct(x: number | undefined): string {
  return x === undefined ? '-' : `${(x * 100).toFixed(1)}%`;
}

/** A duration as `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function dur(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
