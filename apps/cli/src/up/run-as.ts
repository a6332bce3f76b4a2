import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The user agents run as: the flag, else `shoal-agent` when this process is root, else `off`. */
export function resolveRunAs(flag: string | undefined, uid: number | undefined): string {
  if (flag) return flag;
  return uid === 0 ? 'shoal-agent' : 'off';
}

/** Checks that `user` exists; creates it (system user, no home, no login shell) when it does not. */
export async function ensureUser(user: string, say: (s: string) => void): Promise<void> {
  if (user === 'off') return;
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) throw new Error(`--run-as ${user}: not a valid user name`);
  const known = await exec('id', ['-u', user]).then(
    () => true,
    () => false,
  );
  if (known) return;
  if (process.getuid?.() !== 0) throw new Error(`user ${user} does not exist and only root can create it: create it, or pass --run-as off`);
  await exec('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]).catch((e: Error & { stderr?: string }) => {
    throw new Error(`cannot create user ${user}: ${(e.stderr ?? e.message).trim()}`);
  });
  say(`created system user ${user}: agents run as ${user}`);
}

/** Where node data goes when agents run unprivileged and the preferred place is out of their reach. */
export const SHARED_NODE_ROOT = '/var/lib/shoal/node';

/**
 * True when users other than the owner can traverse every existing directory on the way to `path`
 * (the parts still to be created get mode 0755). `modeOf` returns undefined for a missing path.
 */
export function othersCanTraverse(path: string, modeOf: (p: string) => number | undefined = statMode): boolean {
  for (let p = resolve(path); ; p = dirname(p)) {
    const mode = modeOf(p);
    if (mode !== undefined && (mode & 0o001) === 0) return false;
    if (dirname(p) === p) return true;
  }
}

/**
 * The node-agent's data dir: `preferred`, unless agents run as another user who could not reach it
 * (e.g. under /root, mode 0700): then `/var/lib/shoal/node/<id>`, said out loud.
 */
export function nodeDataDir(preferred: string, runAs: string, nodeId: string, say: (s: string) => void, modeOf?: (p: string) => number | undefined): string {
  if (runAs === 'off' || othersCanTraverse(preferred, modeOf)) return preferred;
  const shared = join(SHARED_NODE_ROOT, nodeId);
  say(`agents run as ${runAs}, who cannot reach ${preferred}: node data (credentials 0600, logs, worktrees) goes to ${shared}`);
  return shared;
}

function statMode(p: string): number | undefined {
  try {
    return statSync(p).mode;
  } catch {
    return undefined;
  }
}
