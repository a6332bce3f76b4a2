import { execFile } from 'node:child_process';
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
