import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TaskSecrets, secretEnvName } from '@shoal/protocol';

/** Names the environment variables of the node-agent that hold secrets (see {@link secretEnvName}). */
export const SECRET_ENV_PREFIX = 'SHOAL_SECRET_';

/** The `SHOAL_SECRET_*` entries of an environment (what the node-agent resolves secrets from besides its secrets dir). */
export function secretEnvOf(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith(SECRET_ENV_PREFIX) && typeof e[1] === 'string' && e[1] !== ''));
}

/** A secret that cannot be used: missing, or stored where others could read it. The message names what to do; never the value. */
export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
}

/** Where a resolved value came from (for the node log: never the value). */
export type SecretSource = 'file' | 'env';

/**
 * A node's secrets: a file `<dir>/<name>` (mode 0600 or stricter, a regular file owned by the
 * node-agent's user; one trailing newline dropped), else `SHOAL_SECRET_<NAME>` in the node-agent's
 * environment. A file readable by group or others is refused, not skipped: the operator meant it.
 */
export class SecretStore {
  constructor(
    readonly dir: string,
    private readonly env: Readonly<Record<string, string>>,
    private readonly nodeId: string,
    private readonly selfUid: number | undefined = process.getuid?.(),
  ) {}

  /** The value of secret `name` and where it was found. @throws SecretUnavailableError */
  async get(name: string): Promise<{ value: string; source: SecretSource }> {
    const file = join(this.dir, name);
    const st = await lstat(file).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw new SecretUnavailableError(`secret '${name}' on node ${this.nodeId}: ${file} cannot be read (${e.code ?? e.message})`);
    });
    if (st) {
      const refuse = (why: string, fix: string) => new SecretUnavailableError(`secret '${name}' on node ${this.nodeId}: ${file} ${why}; ${fix}`);
      if (!st.isFile()) throw refuse('is not a regular file (symbolic links are not followed)', 'put the value in a plain file');
      if ((st.mode & 0o077) !== 0) throw refuse(`is readable or writable by group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`, `chmod 600 ${file}`);
      if (this.selfUid !== undefined && st.uid !== this.selfUid) throw refuse(`is owned by uid ${st.uid}, not by the node-agent's user (uid ${this.selfUid})`, `chown ${this.selfUid} ${file}`);
      const text = await readFile(file, 'utf8');
      const value = text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
      if (value === '') throw refuse('is empty', 'write the value into it');
      return { value, source: 'file' };
    }
    const value = this.env[secretEnvName(name)];
    if (value) return { value, source: 'env' };
    throw new SecretUnavailableError(`secret '${name}' not found on node ${this.nodeId}: put it in ${file} (mode 0600) or set ${secretEnvName(name)} in the node-agent's environment`);
  }

  /**
   * Resolves a task's secrets (env var -> secret name) into environment entries, all or nothing.
   * @throws SecretUnavailableError naming the first secret that is missing or exposed.
   */
  async resolve(secrets: TaskSecrets | undefined): Promise<{ env: Record<string, string>; sources: Record<string, SecretSource> }> {
    const env: Record<string, string> = {};
    const sources: Record<string, SecretSource> = {};
    for (const [variable, name] of Object.entries(secrets ?? {})) {
      const { value, source } = await this.get(name);
      env[variable] = value;
      sources[name] = source;
    }
    return { env, sources };
  }
}
