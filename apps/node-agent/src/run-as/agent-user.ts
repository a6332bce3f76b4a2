import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inRange, type UidRange } from './uid-pool.js';

const run = promisify(execFile);

/** The user named by `SHOAL_RUN_AS`: its group becomes every agent's group. */
export interface AgentUser {
  name: string;
  uid: number;
  gid: number;
}

/** A user name `SHOAL_RUN_AS` accepts (what useradd accepts). */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}\$?$/i;

/**
 * Looks the user up with `id` (so NSS users work too, not only /etc/passwd).
 * @throws Error when the name is malformed, the user does not exist, or it is root or in group root.
 */
export async function resolveAgentUser(name: string): Promise<AgentUser> {
  if (!USER_NAME.test(name)) throw new Error(`SHOAL_RUN_AS=${name}: not a user name (or "off")`);
  const id = async (flag: string) => Number((await run('id', [flag, '--', name])).stdout.trim());
  let uid: number;
  let gid: number;
  try {
    [uid, gid] = await Promise.all([id('-u'), id('-g')]);
  } catch {
    throw new Error(`SHOAL_RUN_AS=${name}: no such user; create it (useradd --system --no-create-home --shell /usr/sbin/nologin ${name}) or set SHOAL_RUN_AS=off`);
  }
  if (uid === 0 || gid === 0) throw new Error(`SHOAL_RUN_AS=${name}: uid ${uid} / gid ${gid}: agents must not run as root or in group root`);
  return { name, uid, gid };
}

/** Users of a passwd file (`name:x:uid:gid:...`) whose uid lies in `range`. Pure. */
export function passwdUsersInRange(passwdText: string, range: UidRange): string[] {
  return passwdText
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]!) && inRange(range, Number(f[2])))
    .map((f) => `${f[0]} (uid ${f[2]})`);
}

/**
 * Refuses a uid range that holds a local user: Shoal kills every process of an agent uid when its
 * attempt ends, which must never hit a real user's processes.
 */
export async function assertRangeUnused(range: UidRange, agent: AgentUser, passwdFile = '/etc/passwd'): Promise<void> {
  const taken = passwdUsersInRange(await readFile(passwdFile, 'utf8').catch(() => ''), range);
  if (inRange(range, agent.uid)) taken.push(`${agent.name} (uid ${agent.uid})`);
  if (taken.length) {
    throw new Error(`SHOAL_AGENT_UIDS=${range.first}-${range.last} holds existing users (${taken.slice(0, 5).join(', ')}): choose a range no user has`);
  }
}
