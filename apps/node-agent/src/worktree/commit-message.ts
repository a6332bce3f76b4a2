/** One changed path of a commit, as `git diff --name-status` reports it (A, M, D, R...). */
export interface ChangedFile {
  status: string;
  path: string;
}

/** What an auto-commit describes. */
export interface CommitContext {
  runId: string;
  taskId: string;
  role: string;
  phaseId: string;
  attempt: number;
  /** `periodic` every commit_every; `final` when the agent finished, was killed or cancelled. */
  kind: 'periodic' | 'final';
  /** How the agent ended (final commits only), e.g. `succeeded` or `killed by SIGKILL`. */
  ending?: string;
}

/** At most this many files are listed in a commit body; the rest are counted. */
export const MAX_LISTED_FILES = 200;

const STATUS_WORD: Record<string, string> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'copied', T: 'type changed' };

/** Parses `git diff --cached --name-status -z` output. */
export function parseNameStatus(raw: string): ChangedFile[] {
  const parts = raw.split('\0').filter((p) => p !== '');
  const out: ChangedFile[] = [];
  for (let i = 0; i < parts.length; ) {
    const status = parts[i++]!;
    const letter = status[0]!;
    if (letter === 'R' || letter === 'C') {
      const from = parts[i++];
      const to = parts[i++];
      out.push({ status: letter, path: `${from} -> ${to}` });
    } else {
      out.push({ status: letter, path: parts[i++] ?? '' });
    }
  }
  return out;
}

/**
 * Builds a descriptive auto-commit message: a subject naming task, role and phase with the file
 * count, then a body with run, attempt and every changed file (bounded).
 */
export function commitMessage(ctx: CommitContext, files: ChangedFile[]): { subject: string; body: string } {
  const n = files.length;
  const what = ctx.kind === 'final' ? 'final commit' : 'auto-commit';
  const subject = `shoal: ${what} of ${ctx.taskId} (${ctx.role}, phase ${ctx.phaseId}): ${n} file${n === 1 ? '' : 's'} changed`;
  const listed = files.slice(0, MAX_LISTED_FILES).map((f) => `  ${(STATUS_WORD[f.status] ?? f.status).padEnd(12)} ${f.path}`);
  if (n > MAX_LISTED_FILES) listed.push(`  ... and ${n - MAX_LISTED_FILES} more`);
  const lines = [
    `Run:     ${ctx.runId}`,
    `Task:    ${ctx.taskId}`,
    `Role:    ${ctx.role}`,
    `Phase:   ${ctx.phaseId}`,
    `Attempt: ${ctx.attempt}`,
    ...(ctx.ending ? [`Ended:   ${ctx.ending}`] : []),
    '',
    'Files changed:',
    ...listed,
  ];
  return { subject, body: lines.join('\n') };
}
