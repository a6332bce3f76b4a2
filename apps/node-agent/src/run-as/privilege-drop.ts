import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { DependencyError, ValidationError } from '@shoal/protocol';
import type { GovernedTask } from '../governor/index.js';

/** Who an agent process becomes. */
export interface AgentCredentials {
  uid: number;
  gid: number;
}

/**
 * The argv prefix that drops root before the agent's own argv: `setpriv` sets real, effective and
 * saved uid and gid, clears the supplementary groups, empties the inheritable and bounding
 * capability sets and sets no_new_privs (setuid binaries such as sudo or su gain nothing), then
 * exec's the rest of the argv. It goes after the entry script's group join, which needs root. Pure.
 */
export function privilegeDropArgv(setpriv: string, who: AgentCredentials): string[] {
  for (const [name, id] of [['uid', who.uid], ['gid', who.gid]] as const) {
    if (!Number.isSafeInteger(id) || id <= 0 || id > 2 ** 32 - 2) throw new RangeError(`${name} ${id}: not an unprivileged id`);
  }
  return [setpriv, `--reuid=${who.uid}`, `--regid=${who.gid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--'];
}

/**
 * A governed task whose command runs unprivileged: `wrapArgv` puts the privilege drop between the
 * group entry and the argv, and `kill`/`release` also end every process left with the agent's uid
 * (a `setsid` child that left the process tree and, with the fallback governor, its marker).
 * Every other member is the governed task's own (a Proxy, so governors can grow members).
 */
export function withPrivilegeDrop(governed: GovernedTask, drop: string[], killOwned: () => Promise<void>): GovernedTask {
  const overrides: Partial<GovernedTask> = {
    wrapArgv(argv: string[]): string[] {
      if (!Array.isArray(argv) || argv.length === 0) throw new ValidationError([{ path: 'argv', message: 'must not be empty' }]);
      return governed.wrapArgv([...drop, ...argv]);
    },
    async kill(): Promise<void> {
      try {
        await governed.kill();
      } finally {
        await killOwned();
      }
    },
    async release(): Promise<void> {
      try {
        await governed.release();
      } finally {
        await killOwned();
      }
    },
  };
  return new Proxy(governed, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof GovernedTask];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Absolute path of `setpriv` (util-linux), looked up once at start. */
export async function findSetpriv(path = process.env.PATH ?? ''): Promise<string> {
  const dirs = [...path.split(delimiter).filter((d) => d.startsWith('/')), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const candidate = join(dir, 'setpriv');
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  throw new DependencyError('setpriv (util-linux) is needed to run agents unprivileged (SHOAL_RUN_AS); install util-linux or set SHOAL_RUN_AS=off');
}
