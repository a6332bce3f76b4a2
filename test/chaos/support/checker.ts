/**
 * The chaos suite's judge: a pure function from what was observed after the faults stopped (the
 * task ledger, the API's view of the runs, what the nodes report running, tmux panes and live task
 * processes) to a verdict on each invariant of ../shared/design/RELIABILITY.md:
 * - I1 every accepted task is terminal in the API view;
 * - I2 each attempt started at most once and committed at most one result; attempts never exceed the
 *   maximum; completed work never started again (unless it ended where no one could see it: a
 *   node-agent down on a node judged lost meanwhile, {@link Expectations.blind}); a task the API calls succeeded names the attempt
 *   whose process really finished; re-runs of an interrupted attempt only where the row allows it;
 * - I3 no orphans: every live task process and live tmux pane belongs to an attempt the API says is
 *   running (after convergence with every run finished: none at all);
 * - I4 the API's running attempts are what the nodes report running.
 */

/** One line of the ledger written by test/fixtures/ledger-task.mjs. */
export interface LedgerEntry {
  run: string;
  task: string;
  attempt: number;
  node: string;
  pid: number;
  event: 'start' | 'end';
  at: number;
}

/** The part of the API's task view the checker needs. */
export interface ApiTask {
  runId: string;
  taskId: string;
  state: string;
  attempt: number;
  maxAttempts: number;
  nodeId?: string;
}

/** An attempt a node reports running in its heartbeat. */
export interface ReportedAttempt {
  nodeId: string;
  runId: string;
  taskId: string;
  attempt: number;
}

/** A live (not dead) tmux pane of a task window on a node. */
export interface LivePane {
  nodeId: string;
  session: string;
  window: string;
  pid: number;
}

/** Everything observed at one moment. */
export interface Observation {
  ledger: LedgerEntry[];
  tasks: ApiTask[];
  /** Latest heartbeat `running` list of every node that is up. */
  reported: ReportedAttempt[];
  /** Live panes in the sessions of the suite's plans (window name = task id). */
  panes: LivePane[];
  /** Pids (from the ledger) whose process still runs. */
  alivePids: number[];
}

/** What a row allows. */
export interface Expectations {
  /** A task may have more than one attempt start (only rows where a node was really gone). */
  allowRerun: boolean;
  /** Every task must end succeeded (default true). */
  allSucceed?: boolean;
  /**
   * Times a node-agent was down on a node that was judged lost before it came back: no one could see
   * an attempt end there, so its re-placement may run that work again (at-least-once). Only such an
   * end, followed by attempts started before the agent was back, escapes "completed work ran again".
   */
  blind?: BlindWindow[];
}

/** A node-agent's absence: from its kill to its restart. */
export interface BlindWindow {
  node: string;
  from: number;
  to: number;
}

/** The verdict on one invariant. */
export interface InvariantVerdict {
  ok: boolean;
  problems: string[];
}

/** The verdict on I1-I4. */
export interface Verdict {
  ok: boolean;
  i1: InvariantVerdict;
  i2: InvariantVerdict;
  i3: InvariantVerdict;
  i4: InvariantVerdict;
}

/** States after which a task never changes (RELIABILITY.md I1; skipped: a dependency failed). */
export const TERMINAL_TASK_STATES = ['succeeded', 'failed', 'cancelled', 'skipped', 'awaiting-operator'] as const;

const key = (run: string, task: string) => `${run}/${task}`;
const akey = (run: string, task: string, attempt: number) => `${run}/${task}#${attempt}`;

function verdict(problems: string[]): InvariantVerdict {
  return { ok: problems.length === 0, problems };
}

/** I1: every task of every run the API knows is terminal (and succeeded when the row says so). */
export function checkI1(tasks: ApiTask[], exp: Expectations): InvariantVerdict {
  const problems: string[] = [];
  for (const t of tasks) {
    if (!(TERMINAL_TASK_STATES as readonly string[]).includes(t.state)) problems.push(`${key(t.runId, t.taskId)} is ${t.state}, not terminal`);
    else if ((exp.allSucceed ?? true) && t.state !== 'succeeded') problems.push(`${key(t.runId, t.taskId)} ended ${t.state}, the row expects succeeded`);
  }
  return verdict(problems);
}

/**
 * An end nobody could observe: on a node inside one of its blind windows, and every later start of
 * the task came before that node-agent was back (so the re-placement could not have known).
 */
function unseenEnd(end: LedgerEntry, starts: LedgerEntry[], blind: BlindWindow[]): boolean {
  const w = blind.find((b) => b.node === end.node && end.at >= b.from && end.at <= b.to);
  return w !== undefined && starts.every((s) => s.at <= end.at || s.at <= w.to);
}

/** I2: executions and results per attempt, judged on the ledger against the API view. */
export function checkI2(ledger: LedgerEntry[], tasks: ApiTask[], exp: Expectations): InvariantVerdict {
  const problems: string[] = [];
  const byTask = new Map<string, LedgerEntry[]>();
  for (const e of ledger) {
    const k = key(e.run, e.task);
    byTask.set(k, [...(byTask.get(k) ?? []), e]);
  }
  const api = new Map(tasks.map((t) => [key(t.runId, t.taskId), t]));
  for (const [k, entries] of byTask) {
    const t = api.get(k);
    if (!t) {
      problems.push(`${k} ran (ledger) but the API does not know the task`);
      continue;
    }
    const starts = entries.filter((e) => e.event === 'start');
    const ends = entries.filter((e) => e.event === 'end');
    const perAttempt = new Map<number, { starts: number; ends: number }>();
    for (const e of entries) {
      const c = perAttempt.get(e.attempt) ?? { starts: 0, ends: 0 };
      if (e.event === 'start') c.starts += 1;
      else c.ends += 1;
      perAttempt.set(e.attempt, c);
    }
    for (const [attempt, c] of perAttempt) {
      if (c.starts > 1) problems.push(`${akey(t.runId, t.taskId, attempt)} started ${c.starts} times (one execution per attempt)`);
      if (c.ends > 1) problems.push(`${akey(t.runId, t.taskId, attempt)} finished its work ${c.ends} times`);
      if (c.ends > 0 && c.starts === 0) problems.push(`${akey(t.runId, t.taskId, attempt)} has an end without a start in the ledger`);
      if (attempt > t.maxAttempts) problems.push(`${akey(t.runId, t.taskId, attempt)} exceeds the maximum of ${t.maxAttempts} attempts`);
    }
    const unseen = ends.filter((e) => unseenEnd(e, starts, exp.blind ?? []));
    const seen = ends.filter((e) => !unseen.includes(e));
    if (seen.length > 1) problems.push(`${k}: completed work ran again (${seen.length} attempts finished: ${seen.map((e) => e.attempt).join(', ')})`);
    const firstEnd = seen.reduce<LedgerEntry | undefined>((a, e) => (!a || e.at < a.at ? e : a), undefined);
    if (firstEnd) {
      for (const s of starts) if (s.at > firstEnd.at) problems.push(`${key(t.runId, t.taskId)}: attempt ${s.attempt} started after attempt ${firstEnd.attempt} had completed the work`);
    }
    const distinctStarts = new Set(starts.map((s) => s.attempt)).size;
    if (!exp.allowRerun && distinctStarts > 1) problems.push(`${k} ran ${distinctStarts} attempts (${[...new Set(starts.map((s) => s.attempt))].join(', ')}): no node was gone in this row, an interrupted attempt must not be re-run`);
    if (t.state === 'succeeded' && !ends.some((e) => e.attempt === t.attempt)) problems.push(`${k} is succeeded as attempt ${t.attempt}, but that attempt never finished its work (ledger ends: ${ends.map((e) => e.attempt).join(', ') || 'none'})`);
    if (t.attempt > t.maxAttempts) problems.push(`${k} is at attempt ${t.attempt} of at most ${t.maxAttempts}`);
  }
  for (const t of tasks) {
    if (t.state === 'succeeded' && !byTask.has(key(t.runId, t.taskId))) problems.push(`${key(t.runId, t.taskId)} is succeeded but never ran (no ledger line)`);
  }
  return verdict(problems);
}

/** I3: every live pane and task process belongs to an attempt the API calls running (one pane each). */
export function checkI3(obs: Pick<Observation, 'ledger' | 'tasks' | 'panes' | 'alivePids'>): InvariantVerdict {
  const problems: string[] = [];
  const running = new Map(obs.tasks.filter((t) => t.state === 'running').map((t) => [key(t.runId, t.taskId), t]));
  const panesPerTask = new Map<string, LivePane[]>();
  for (const p of obs.panes) panesPerTask.set(`${p.nodeId}:${p.window}`, [...(panesPerTask.get(`${p.nodeId}:${p.window}`) ?? []), p]);
  // window name = task id (the suite's plans use the task id as the role)
  const runningByWindow = new Map<string, ApiTask[]>();
  for (const t of running.values()) runningByWindow.set(`${t.nodeId}:${t.taskId}`, [...(runningByWindow.get(`${t.nodeId}:${t.taskId}`) ?? []), t]);
  for (const [w, panes] of panesPerTask) {
    const wanted = runningByWindow.get(w)?.length ?? 0;
    if (panes.length > wanted) problems.push(`${panes.length} live pane(s) for window ${w} (pids ${panes.map((p) => p.pid).join(', ')}) where the API has ${wanted} running attempt(s)`);
  }
  const alive = new Set(obs.alivePids);
  const seen = new Set<number>();
  for (const e of obs.ledger) {
    if (e.event !== 'start' || !alive.has(e.pid) || seen.has(e.pid)) continue;
    seen.add(e.pid);
    const ended = obs.ledger.some((x) => x.event === 'end' && x.pid === e.pid && x.attempt === e.attempt && x.task === e.task);
    if (ended) continue; // finished its work and is exiting
    const t = running.get(key(e.run, e.task));
    if (!t || t.attempt !== e.attempt) problems.push(`orphan process pid ${e.pid}: ${akey(e.run, e.task, e.attempt)} on ${e.node || '?'} still runs, the API has ${t ? `attempt ${t.attempt} running` : 'no running attempt'}`);
  }
  return verdict(problems);
}

/** I4: the API's running attempts equal the attempts the nodes report (dispatched ones may be either). */
export function checkI4(tasks: ApiTask[], reported: ReportedAttempt[]): InvariantVerdict {
  const problems: string[] = [];
  const apiRunning = new Map(tasks.filter((t) => t.state === 'running').map((t) => [akey(t.runId, t.taskId, t.attempt), t]));
  const dispatched = new Set(tasks.filter((t) => t.state === 'dispatched').map((t) => akey(t.runId, t.taskId, t.attempt)));
  const rep = new Map(reported.map((r) => [akey(r.runId, r.taskId, r.attempt), r]));
  for (const [k, t] of apiRunning) {
    const r = rep.get(k);
    if (!r) problems.push(`API: ${k} running on ${t.nodeId ?? '?'}; no node reports it`);
    else if (t.nodeId && r.nodeId !== t.nodeId) problems.push(`API: ${k} running on ${t.nodeId}; ${r.nodeId} reports it`);
  }
  for (const [k, r] of rep) if (!apiRunning.has(k) && !dispatched.has(k)) problems.push(`${r.nodeId} reports ${k} running; the API does not`);
  return verdict(problems);
}

/** All four invariants on one observation. */
export function check(obs: Observation, exp: Expectations): Verdict {
  const i1 = checkI1(obs.tasks, exp);
  const i2 = checkI2(obs.ledger, obs.tasks, exp);
  const i3 = checkI3(obs);
  const i4 = checkI4(obs.tasks, obs.reported);
  return { ok: i1.ok && i2.ok && i3.ok && i4.ok, i1, i2, i3, i4 };
}

/** One-line summary of the failed invariants (empty when all hold). */
export function describeVerdict(v: Verdict): string {
  return (['i1', 'i2', 'i3', 'i4'] as const)
    .filter((k) => !v[k].ok)
    .map((k) => `${k.toUpperCase()}: ${v[k].problems.slice(0, 4).join('; ')}${v[k].problems.length > 4 ? ` (+${v[k].problems.length - 4} more)` : ''}`)
    .join(' | ');
}

/** Parses a ledger file's text; a torn last line (a process killed mid-write) is ignored. */
export function parseLedger(text: string): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as LedgerEntry);
    } catch {
      // a partial line: the writer died between write calls
    }
  }
  return out;
}

/**
 * Time to converge: given the times (ms) at which the observation was taken and whether it held,
 * the first time from which it held on every later sample, measured from `from`; undefined if the
 * last sample failed.
 */
export function convergedAfter(samples: { at: number; ok: boolean }[], from: number): number | undefined {
  let since: number | undefined;
  for (const s of samples) {
    if (s.ok) since ??= s.at;
    else since = undefined;
  }
  return since === undefined ? undefined : Math.max(0, since - from);
}
