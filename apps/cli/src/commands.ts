import { readFileSync } from 'node:fs';
import { formatIssues, parsePlanText } from '@shoal/protocol';
import { compilePlan, taskKind } from '@shoal/scheduler';
import { ApiClient, ApiError } from './api-client.js';
import { followRun } from './follow/follow.js';
import { agentCell, outputTails, runTable } from './render.js';
import { type EstimatesReply, type RunView, agentsNeedingInput } from '@shoal/protocol';

type Out = (s: string) => void;

/** Reads and checks a plan file locally; throws with every problem listed. */
export function validateFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read plan ${path}: ${(e as Error).message}`);
  }
  const parsed = parsePlanText(text);
  const compiled = parsed.ok ? compilePlan(parsed.value) : parsed;
  const issues = compiled.ok ? [] : compiled.issues;
  if (issues.length) throw new Error(`plan ${path} is invalid:\n${formatIssues(issues).replace(/^/gm, '  ')}`);
  return text;
}

/** Options of {@link runPlan}. */
export interface RunPlanOptions {
  follow?: boolean;
  /** One JSON object per line (events, then the final run) instead of text. */
  json?: boolean;
  /** Progress bars redrawn in place (default: when stdout is a terminal and not --json). */
  tty?: boolean;
  write?: (text: string) => void;
  columns?: () => number;
  rows?: () => number;
}

/**
 * `shoal run`: submits a plan; with follow, shows live progress (bars per phase with ETA on a
 * terminal, plain lines otherwise, JSON lines with --json) and exits 0 only if the run succeeded.
 */
export async function runPlan(api: ApiClient, path: string, o: RunPlanOptions, out: Out): Promise<number> {
  const text = validateFile(path);
  const run = await api.submit(text);
  if (o.json) out(JSON.stringify({ type: 'submitted', runId: run.id, tasks: run.tasks.length, phases: run.phases.length }));
  else out(`run ${run.id} submitted (${run.tasks.length} tasks in ${run.phases.length} phases)`);
  if (!o.follow) return 0;
  const mode = o.json ? 'json' : o.tty ? 'tty' : 'plain';
  const estimateMs = mode === 'tty' ? await taskEstimates(api, text) : undefined;
  const write = o.write ?? ((s: string) => out(s.replace(/\n$/, '')));
  let final: RunView | undefined = await followRun(api, run, { mode, write, columns: o.columns, rows: o.rows, estimateMs });
  final = await api.run(run.id).catch(() => final);
  if (!final) throw new Error(`lost track of run ${run.id}`);
  if (o.json) {
    out(JSON.stringify({ type: 'result', run: final }));
  } else {
    out('');
    out(runTable(final));
    const tails = outputTails(final);
    if (tails) out(`output (tail):\n${tails}`);
  }
  return final.state === 'succeeded' ? 0 : 1;
}

/** Expected duration per task id from the coordinator's learned estimates (`GET /estimates`, by task kind). */
async function taskEstimates(api: ApiClient, planText: string): Promise<(taskId: string) => number | undefined> {
  const parsed = parsePlanText(planText);
  const compiled = parsed.ok ? compilePlan(parsed.value) : undefined;
  const learned = await api.estimates().catch((): EstimatesReply => ({}));
  return (taskId) => {
    const task = compiled?.ok ? compiled.value.tasks.get(taskId) : undefined;
    return task ? learned[taskKind(task)]?.ewmaMs : undefined;
  };
}

/** `shoal status [run]`; with `needsMe`, the agents across runs whose state needs an operator. */
export async function status(api: ApiClient, runId: string | undefined, out: Out, needsMe = false): Promise<number> {
  if (needsMe) return needsOperator(api, out);
  if (runId) {
    out(runTable(await api.run(runId)));
    return 0;
  }
  const runs = await api.runs();
  if (!runs.length) out('no runs');
  for (const r of runs) out(`${r.id.padEnd(32)} ${r.state.padEnd(18)} ${String(r.tasks).padStart(4)} tasks  ${new Date(r.submittedAt).toISOString()}`);
  return 0;
}

/** `shoal status --needs-me`: running agents waiting for input, in a menu, stalled or in error, longest first (from the heartbeats of nodes not lost). */
async function needsOperator(api: ApiClient, out: Out): Promise<number> {
  const waiting = agentsNeedingInput(await api.nodes());
  if (!waiting.length) out('no agent needs you');
  for (const r of waiting) out(`${r.runId.padEnd(32)} ${`${r.taskId}#${r.attempt}`.padEnd(20)} ${r.nodeId.padEnd(16)} ${agentCell(r.agent)}`);
  return 0;
}

/** `shoal nodes`. */
export async function nodes(api: ApiClient, out: Out): Promise<number> {
  const list = await api.nodes();
  if (!list.length) out('no nodes');
  for (const n of list) {
    const labels = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',');
    const warm = !n.warm ? 'off' : n.warm.off ? `off (${n.warm.off})` : `${n.warm.ready}/${n.warm.size}`;
    out(`${n.id.padEnd(24)} ${n.state.padEnd(8)} cpu ${String(n.host.cpuPercent).padStart(5)}%  mem ${n.host.memUsedMb}/${n.host.memTotalMb} MB  tasks ${n.running.length}  governor ${n.governor}  warm ${warm}  ${labels}`);
  }
  return 0;
}

/** Renders an API error for a person; 401 and 403 say which token was used and what is needed. */
export function explain(e: unknown): string {
  if (e instanceof ApiError) {
    const issues = e.body.issues?.length ? `\n${formatIssues(e.body.issues).replace(/^/gm, '  ')}` : '';
    const hint = authHint(e);
    return `error ${e.status} ${e.body.error ?? ''}: ${e.body.issues?.length ? 'the plan was refused' : e.message}${issues}${hint ? `\n  ${hint}` : ''}`;
  }
  return `error: ${(e as Error).message}`;
}

/** Why a 401/403 happened and what to do about it, in words. */
export function authHint(e: ApiError): string | undefined {
  const source = e.tokenSource ?? 'no token';
  if (e.status === 401) {
    if (source.startsWith('no token')) return `The API needs a token and this command sent ${source}.`;
    return `The token from ${source} was not accepted (unknown, revoked, or of another cluster). An admin mints a new one with \`shoal token create --scope read|operate|admin\`.`;
  }
  if (e.status === 403) {
    if (/origin/i.test(e.message)) return 'Browser requests from another origin are refused; use the CLI or the coordinator\'s own page.';
    const needed = /\b(read|operate|admin)\b/.exec(e.message)?.[1];
    const what = needed ? `a token of scope ${needed}` : 'a token of a stronger scope';
    return `This needs ${what}; the token from ${source} has a weaker scope. An admin mints one with \`shoal token create --scope ${needed ?? 'operate|admin'}\` (read < operate < admin).`;
  }
  return undefined;
}
