import { execFile } from 'node:child_process';
import { chmod, chown } from 'node:fs/promises';
import { ExecutionError } from '@shoal/protocol';

/** Who owns a task's worktree while its agent runs unprivileged. */
export interface WorktreeOwner {
  uid: number;
  gid: number;
}

/**
 * `chown -R -P -h uid:gid dir` (argv, no shell): symbolic links are changed themselves and never
 * followed, so a link a previous agent left in the tree cannot hand it a file outside.
 */
export function chownTree(dir: string, owner: WorktreeOwner): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('chown', ['-R', '-P', '-h', '--', `${owner.uid}:${owner.gid}`, dir], { timeout: 300_000 }, (err, _out, stderr) =>
      err ? reject(new ExecutionError(`cannot hand ${dir} to uid ${owner.uid}: ${String(stderr).trim() || err.message}`, false, { cause: err })) : resolve(),
    ),
  );
}

/** The top of a tree back to root, mode 0700: whatever is inside is out of reach of every agent uid. */
export async function lockTop(dir: string): Promise<void> {
  await chown(dir, 0, 0);
  await chmod(dir, 0o700);
}
