import { type AgentStatus, NEEDS_OPERATOR, type RunEvent, type RunView } from '@shoal/protocol';

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (useColor ? `\u001b[${code}m${s}\u001b[0m` : s);
const green = paint(32);
const red = paint(31);
const yellow = paint(33);
const dim = paint(2);

/** Colours a state word. */
export function state(s: string): string {
  if (s === 'succeeded') return green(s);
  if (s === 'failed' || s === 'cancelled') return red(s);
  if (s === 'skipped' || s === 'awaiting-operator' || s === 'retry-wait') return yellow(s);
  return s;
}

/** One line per live event, for `shoal run --follow`. */
export function eventLine(e: RunEvent, t0: number): string | undefined {
  const at = dim(`+${((e.at - t0) / 1000).toFixed(2)}s`.padStart(9));
  const why = 'reason' in e && e.reason ? dim(` (${e.reason})`) : '';
  switch (e.type) {
    case 'run':
      return `${at} run ${state(e.state)}${why}`;
    case 'phase':
      return `${at} phase ${e.phaseId} ${state(e.state)}${why}`;
    case 'task': {
      if (e.state === 'pending') return undefined;
      const where = e.nodeId ? dim(` on ${e.nodeId}`) : '';
      const exit = e.exitCode !== undefined && e.exitCode !== null && (e.state === 'succeeded' || e.state === 'failed') ? dim(` exit ${e.exitCode}`) : '';
      return `${at}   task ${e.taskId}#${e.attempt} ${state(e.state)}${where}${exit}${why}`;
    }
    case 'checkin':
      return `${at}   task ${e.taskId}#${e.attempt} check-in ${e.seq} (${e.state}${e.verified ? '' : ', prompt not seen'}):\n${e.reply.split('\n').map((l) => `${at}     ${dim(`${e.taskId} >`)} ${l}`).join('\n')}`;
    case 'output':
      return e.text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => `${at}     ${dim(`${e.taskId} |`)} ${l}`)
        .join('\n') || undefined;
  }
}

/** A duration for people: `42s`, `3m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** An agent's state and for how long (`menu 2m10s`), marked when it needs an operator. */
export function agentCell(a: AgentStatus, now = Date.now()): string {
  const text = `${a.state} ${formatDuration(now - a.since)}`;
  return NEEDS_OPERATOR.has(a.state) ? yellow(`${text} !`) : text;
}

/** A table of a run: phases, then tasks with their state, node, agent state, exit code and why they wait or failed. */
export function runTable(v: RunView): string {
  const lines = [`run ${v.id} (plan ${v.plan}): ${state(v.state)}${v.reason ? ` — ${v.reason}` : ''}`];
  const dur = (a?: number, b?: number) => (a && b ? `${((b - a) / 1000).toFixed(2)}s` : '');
  if (v.startedAt && v.finishedAt) lines.push(`took ${dur(v.startedAt, v.finishedAt)}`);
  for (const p of v.phases) {
    lines.push(`  phase ${p.id.padEnd(16)} ${state(p.state).padEnd(12)} ${dur(p.startedAt, p.finishedAt)}${p.reason ? dim(`  ${p.reason}`) : ''}`);
    for (const t of v.tasks.filter((x) => x.phaseId === p.id)) {
      const extra = t.waitingReason && t.state === 'queued' ? `waiting: ${t.waitingReason}` : (t.reason ?? '');
      lines.push(
        `    ${t.id.padEnd(18)} ${state(t.state).padEnd(12)} ${`#${t.attempt}/${t.maxAttempts}`.padEnd(6)} ${(t.nodeId ?? '').padEnd(14)} ${t.exitCode ?? ''}${t.agent ? `  agent ${agentCell(t.agent)}` : ''}`.trimEnd() +
          (extra ? dim(`  ${extra}`) : ''),
      );
    }
  }
  return lines.join('\n');
}

/** The tail of each task's output, for the end of `shoal run`. */
export function outputTails(v: RunView, lines = 5): string {
  const out: string[] = [];
  for (const t of v.tasks) {
    const tail = (t.outputTail ?? '').trim().split('\n').slice(-lines);
    if (tail.length && tail[0]) out.push(`  ${t.id}:`, ...tail.map((l) => `    ${l}`));
  }
  return out.join('\n');
}
