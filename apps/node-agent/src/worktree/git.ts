import { execFile } from 'node:child_process';
import { ExecutionError } from '@shoal/protocol';

/** Author of every commit the node-agent makes. */
export const SHOAL_AUTHOR = { name: 'Shoal', email: 'shoal@localhost' } as const;

/** Options that make Shoal's commits independent of the user's git configuration. */
const FIXED_CONFIG = ['-c', `user.name=${SHOAL_AUTHOR.name}`, '-c', `user.email=${SHOAL_AUTHOR.email}`, '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null'];

/**
 * Runs git with an argv (never a shell) in `cwd`; resolves with stdout.
 * Throws ExecutionError carrying git's stderr on a non-zero exit.
 */
export function git(cwd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...FIXED_CONFIG, ...args],
      { cwd, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err) reject(new ExecutionError(`git ${args[0]} failed in ${cwd}: ${String(stderr).trim() || err.message}`, false, { cause: err }));
        else resolve(String(stdout));
      },
    );
  });
}
