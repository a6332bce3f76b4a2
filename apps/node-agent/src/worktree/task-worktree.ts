import { access, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExecutionError } from '@shoal/protocol';
import { type ChangedFile, type CommitContext, commitMessage, parseNameStatus } from './commit-message.js';
import { git } from './git.js';

/** A commit the node-agent made. */
export interface AutoCommit {
  sha: string;
  subject: string;
  files: ChangedFile[];
}

/** Branch of a task's worktree: `shoal/<run>/<task>`. */
export function worktreeBranch(runId: string, taskId: string): string {
  return `shoal/${runId}/${taskId}`;
}

/**
 * The git worktree of one task: `<dataDir>/worktrees/<run>/<task>` on branch `shoal/<run>/<task>`,
 * created from the repository's HEAD. A later attempt of the same task reuses it, keeping its work.
 */
export class TaskWorktree {
  private constructor(
    readonly repo: string,
    readonly path: string,
    readonly branch: string,
  ) {}

  /** Creates (or reopens) the worktree of a task. */
  static async open(opts: { repo: string; dataDir: string; runId: string; taskId: string }): Promise<TaskWorktree> {
    const { repo, runId, taskId } = opts;
    const path = join(opts.dataDir, 'worktrees', runId, taskId);
    const branch = worktreeBranch(runId, taskId);
    const top = (await git(repo, ['rev-parse', '--show-toplevel']).catch((e: Error) => {
      throw new ExecutionError(`repo ${repo} is not a git repository: ${e.message}`, false, { cause: e });
    })).trim();
    if (await exists(join(path, '.git'))) return new TaskWorktree(top, path, branch);
    await mkdir(dirname(path), { recursive: true });
    const hasBranch = await git(top, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).then(() => true, () => false);
    await git(top, hasBranch ? ['worktree', 'add', path, branch] : ['worktree', 'add', '-b', branch, path, 'HEAD']);
    return new TaskWorktree(top, path, branch);
  }

  /**
   * Stages everything (`git add -A`, so .gitignore holds) and commits it with a descriptive
   * message as Shoal; returns null when nothing changed (no empty commits).
   */
  async commit(ctx: CommitContext): Promise<AutoCommit | null> {
    await git(this.path, ['add', '-A']);
    const files = parseNameStatus(await git(this.path, ['diff', '--cached', '--name-status', '-z', '-M']));
    if (files.length === 0) return null;
    const { subject, body } = commitMessage(ctx, files);
    await git(this.path, ['commit', '--quiet', '--no-verify', '-m', subject, '-m', body]);
    const sha = (await git(this.path, ['rev-parse', 'HEAD'])).trim();
    return { sha, subject, files };
  }
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}
