import { access, chmod, mkdir, readdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ExecutionError } from '@shoal/protocol';
import { type ChangedFile, type CommitContext, commitMessage, parseNameStatus } from './commit-message.js';
import { git } from './git.js';
import { chownTree, lockTop, type WorktreeOwner } from './ownership.js';

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
 * Shoal's own git commands name the worktree's administrative directory (found on the repository's
 * side) explicitly: a `.git` file the agent rewrote cannot point them at a configuration of its own.
 */
export class TaskWorktree {
  private constructor(
    readonly repo: string,
    readonly path: string,
    readonly branch: string,
    /** `<repo>/.git/worktrees/<name>`: the worktree's HEAD and index, owned by the repository's owner. */
    readonly gitDir: string,
  ) {}

  /** Creates (or reopens) the worktree of a task. */
  static async open(opts: { repo: string; dataDir: string; runId: string; taskId: string }): Promise<TaskWorktree> {
    const { repo, runId, taskId } = opts;
    const path = join(opts.dataDir, 'worktrees', runId, taskId);
    const branch = worktreeBranch(runId, taskId);
    const top = (await git(repo, ['rev-parse', '--show-toplevel']).catch((e: Error) => {
      throw new ExecutionError(`repo ${repo} is not a git repository: ${e.message}`, false, { cause: e });
    })).trim();
    if (!(await exists(join(path, '.git')))) {
      await mkdir(dirname(path), { recursive: true });
      const hasBranch = await git(top, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).then(() => true, () => false);
      await git(top, hasBranch ? ['worktree', 'add', path, branch] : ['worktree', 'add', '-b', branch, path, 'HEAD']);
    }
    return new TaskWorktree(top, path, branch, await adminDirOf(top, path));
  }

  /**
   * Hands the worktree to an unprivileged agent uid: every file its own (symbolic links never
   * followed), the top 0700, its parents searchable but not listable (0711).
   */
  async handTo(owner: WorktreeOwner): Promise<void> {
    for (const dir of [dirname(dirname(this.path)), dirname(this.path)]) await chmod(dir, 0o711);
    await chownTree(this.path, owner);
    await chmod(this.path, 0o700);
  }

  /** Takes the worktree back after its agent ended: the top is root's again, so a later holder of that uid cannot enter it. */
  reclaim(): Promise<void> {
    return lockTop(this.path);
  }

  /**
   * Stages everything (`git add -A`, so .gitignore holds) and commits it with a descriptive
   * message as Shoal; returns null when nothing changed (no empty commits).
   */
  async commit(ctx: CommitContext): Promise<AutoCommit | null> {
    const at = [`--git-dir=${this.gitDir}`, `--work-tree=${this.path}`];
    await git(this.path, [...at, 'add', '-A']);
    const files = parseNameStatus(await git(this.path, [...at, 'diff', '--cached', '--name-status', '-z', '-M']));
    if (files.length === 0) return null;
    const { subject, body } = commitMessage(ctx, files);
    await git(this.path, [...at, 'commit', '--quiet', '--no-verify', '-m', subject, '-m', body]);
    const sha = (await git(this.path, [...at, 'rev-parse', 'HEAD'])).trim();
    return { sha, subject, files };
  }
}

/** The administrative directory of the worktree at `path`, read from the repository (never from the worktree's `.git` file). */
async function adminDirOf(top: string, path: string): Promise<string> {
  const common = resolve(top, (await git(top, ['rev-parse', '--git-common-dir'])).trim());
  const want = join(await realpath(path), '.git');
  const names = await readdir(join(common, 'worktrees')).catch(() => [] as string[]);
  for (const name of names) {
    const gitdir = await readFile(join(common, 'worktrees', name, 'gitdir'), 'utf8').catch(() => '');
    if (gitdir.trim() === want) return join(common, 'worktrees', name);
  }
  throw new ExecutionError(`${path} is not a worktree of ${top} (no entry in ${join(common, 'worktrees')})`, false);
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}
