import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { HarnessError } from './errors.js';

const EXTRA_DIRS = ['/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/usr/bin', '/opt/homebrew/bin'];

/** Absolute path of executable `name` found on PATH or in the usual system dirs, or undefined. */
export function findBinary(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Path of the `nats-server` binary (`NATS_SERVER_BIN` wins if set). Throws a
 * `BINARY_NOT_FOUND` {@link HarnessError} with install instructions when it is missing.
 */
export function locateNatsServer(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.NATS_SERVER_BIN;
  if (override) {
    if (isExecutable(override)) return override;
    throw new HarnessError('BINARY_NOT_FOUND', `NATS_SERVER_BIN=${override} is not an executable file`);
  }
  const found = findBinary('nats-server', env);
  if (!found) {
    throw new HarnessError(
      'BINARY_NOT_FOUND',
      'nats-server not found on PATH, /usr/sbin or /usr/local/bin, and no Docker engine is reachable. ' +
        'Install it: `apt-get install -y nats-server` (Debian/Ubuntu) or `brew install nats-server` (macOS), ' +
        'or set NATS_SERVER_BIN=/path/to/nats-server.',
    );
  }
  return found;
}

/** Path of the `tmux` binary; throws `BINARY_NOT_FOUND` with install instructions. */
export function locateTmux(env: NodeJS.ProcessEnv = process.env): string {
  const found = findBinary('tmux', env);
  if (!found) {
    throw new HarnessError(
      'BINARY_NOT_FOUND',
      'tmux not found. Install it: `apt-get install -y tmux` or `brew install tmux`.',
    );
  }
  return found;
}
