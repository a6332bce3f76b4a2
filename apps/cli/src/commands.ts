import { readFileSync } from 'node:fs';
import { type FieldIssue, formatIssues, parsePlanText, ValidationError } from '@shoal/protocol';
import { ApiClient, ApiError, type SubmitOptions } from './api-client.js';
import { followRun } from './follow/follow.js';
import type { Output } from './output.js';
import { agentCell, outputTails, runTable } from './render.js';
import { type EstimatesReply, agentsNeedingInput } from '@shoal/protocol';

/** A plan file that cannot be read or breaks the rules; `issues` lists every problem (`E_VALIDATION`). */
export class PlanFileError extends ValidationError {
  constructor(message: string, issues: FieldIssue[]) {
    super(issues);
    this.message = message;
  }
}

/**
 * The plan compiler, loaded when a command needs it: `@shoal/scheduler` takes a good part of the
 * CLI's start-up, which every other command (and each `--json` call of a script) would pay.
 */
const scheduler = () => import('@shoal/scheduler');

/** Reads and checks a plan file locally; throws a {@link PlanFileError} with every problem listed. */
export async function validateFile(path: string): Promise<string> {
  const { compilePlan } = await scheduler();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const message = `cannot read plan ${path}: ${(e as Error).message}`;
    throw new PlanFileError(message, [{ path: '', message }]);
  }
  const parsed = parsePlanText(text);
  const compiled = parsed.ok ? compilePlan(parsed.value) : parsed;
  const issues = compiled.ok ? [] : compiled.issues;
  if (issues.length) throw new PlanFileError(`plan ${path} is invalid:\n${formatIssues(issues).replace(/^/gm, '  ')}`, issues);
  return text;
}

/**
 * What `shoal validate --json` prints (the check is local: no API answer to reuse): whether the
 * plan file is valid, and every problem found.
 */
export interface PlanVerdict {
  valid: boolean;
  file: string;
  issues: FieldIssue[];
}

/** `shoal validate <plan>`: exit 0 when valid, 2 (and the error) when not; `--json` prints the {@link PlanVerdict} either way. */
export async function validate(path: string, output: Output): Promise<number> {
  try {
    await validateFile(path);
  } catch (e) {
    if (output.json && e instanceof PlanFileError) output.show({ valid: false, file: path, issues: e.issues } satisfies PlanVerdict, () => '');
    throw e;
  }
  output.show({ valid: true, file: path, issues: [] } satisfies PlanVerdict, (v) => `${v.file}: valid`);
  return 0;
}

/** Options of {@link runPlan}. */
export interface RunPlanOptions extends SubmitOptions {
  follow?: boolean;
  /** Progress bars redrawn in place (default: when stdout is a terminal and not --json). */
  tty?: boolean;
  /** Where the follower writes raw text (stdout: JSON lines with --json). */
  write: (text: string) => void;
  columns?: () => number;
  rows?: () => number;
}

/**
 * `shoal run`: submits a plan; with follow, shows live progress (bars per phase with ETA on a
 * terminal, plain lines otherwise) and exits 0 only if the run succeeded. `--json`: the submitted
 * RunView; with `--follow`, JSON lines: `{type: 'submitted', runId, tasks, phases}`, each RunEvent
 * (`replayed: true` when rebuilt from a snapshot), then `{type: 'result', run}` with the final RunView.
 */
export async function runPlan(api: ApiClient, path: string, o: RunPlanOptions, output: Output): Promise<number> {
  const text = await validateFile(path);
  const run = await api.submit(text, { idempotencyKey: o.idempotencyKey, retryForMs: o.retryForMs });
  const submitted = `run ${run.id} submitted (${run.tasks.length} tasks in ${run.phases.length} phases)`;
  if (!o.follow) {
    output.show(run, () => submitted);
    return 0;
  }
  if (output.json) output.line({ type: 'submitted', runId: run.id, tasks: run.tasks.length, phases: run.phases.length });
  else output.text(submitted);
  const mode = output.json ? 'json' : o.tty ? 'tty' : 'plain';
  const estimateMs = mode === 'tty' ? await taskEstimates(api, text) : undefined;
  const final = await followRun(api, run, { mode, write: o.write, columns: o.columns, rows: o.rows, estimateMs });
  const last = await api.run(run.id).catch(() => final);
  if (output.json) output.line({ type: 'result', run: last });
  else {
    output.text('');
    output.text(runTable(last));
    const tails = outputTails(last);
    if (tails) output.text(`output (tail):\n${tails}`);
  }
  return last.state === 'succeeded' ? 0 : 1;
}

/** Expected duration per task id from the coordinator's learned estimates (`GET /estimates`, by task kind). */
async function taskEstimates(api: ApiClient, planText: string): Promise<(taskId: string) => number | undefined> {
  const { compilePlan, taskKind } = await scheduler();
  const parsed = parsePlanText(planText);
  const compiled = parsed.ok ? compilePlan(parsed.value) : undefined;
  const learned = await api.estimates().catch((): EstimatesReply => ({}));
  return (taskId) => {
    const task = compiled?.ok ? compiled.value.tasks.get(taskId) : undefined;
    return task ? learned[taskKind(task)]?.ewmaMs : undefined;
  };
}

/**
 * `shoal status [run]`; with `needsMe`, the agents across runs whose state needs an operator.
 * `--json`: the RunSummary[] of `GET /runs`, the RunView of `GET /runs/:id`, or with `--needs-me`
 * the AgentNeedingInput[] (libs/protocol, as the MCP tool answers it).
 */
export async function status(api: ApiClient, runId: string | undefined, output: Output, needsMe = false): Promise<number> {
  if (needsMe) return needsOperator(api, output);
  if (runId) {
    output.show(await api.run(runId), runTable);
    return 0;
  }
  output.show(await api.runs(), (runs) =>
    runs.length ? runs.map((r) => `${r.id.padEnd(32)} ${r.state.padEnd(18)} ${String(r.tasks).padStart(4)} tasks  ${new Date(r.submittedAt).toISOString()}`).join('\n') : 'no runs',
  );
  return 0;
}

/** `shoal status --needs-me`: running agents waiting for input, in a menu, stalled or in error, longest first (from the heartbeats of nodes not lost). */
async function needsOperator(api: ApiClient, output: Output): Promise<number> {
  output.show(agentsNeedingInput(await api.nodes()), (waiting) =>
    waiting.length ? waiting.map((r) => `${r.runId.padEnd(32)} ${`${r.taskId}#${r.attempt}`.padEnd(20)} ${r.nodeId.padEnd(16)} ${agentCell(r.agent)}`).join('\n') : 'no agent needs you',
  );
  return 0;
}

/** `shoal nodes` (`--json`: the NodeRow[] of `GET /nodes`). */
export async function nodes(api: ApiClient, output: Output): Promise<number> {
  output.show(await api.nodes(), (list) =>
    list.length
      ? list
          .map((n) => {
            const labels = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',');
            const warm = !n.warm ? 'off' : n.warm.off ? `off (${n.warm.off})` : `${n.warm.ready}/${n.warm.size}`;
            return `${n.id.padEnd(24)} ${n.state.padEnd(8)} cpu ${String(n.host.cpuPercent).padStart(5)}%  mem ${n.host.memUsedMb}/${n.host.memTotalMb} MB  tasks ${n.running.length}  governor ${n.governor}  warm ${warm}  ${labels}`;
          })
          .join('\n')
      : 'no nodes',
  );
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
