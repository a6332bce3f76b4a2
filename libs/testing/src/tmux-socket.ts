import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { locateTmux } from './binaries.js';
import { HarnessError } from './errors.js';

/** A private tmux server socket (`tmux -L <name>`) for one test. */
export interface TmuxSocket {
  /** Socket name, `shoal-test-<random>`; pass it as `-L <name>` to anything under test. */
  readonly name: string;
  /** Where tmux puts the socket file (`$TMUX_TMPDIR/tmux-<uid>/<name>`). */
  readonly socketPath: string;
  /** Runs `tmux -L <name> ...args` (no shell); rejects with `COMMAND_FAILED` on a non-zero exit. */
  tmux(args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  /** Names of the sessions on this socket; [] when no server runs. */
  sessions(): Promise<string[]>;
  /** `kill-server` on this socket ("no server running" is fine), then removes the socket file. Idempotent. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const NO_SERVER = /no server running|error connecting to|server exited unexpectedly/i;

/** True when a tmux error only means that no server listens on the socket. */
export function isNoTmuxServerError(err: unknown): boolean {
  const text = err instanceof HarnessError ? String((err.cause as { stderr?: string })?.stderr ?? err.message) : String(err);
  return NO_SERVER.test(text) || (err instanceof Error && NO_SERVER.test(err.message));
}

/** Creates a unique tmux socket name and helpers bound to it (the server starts on first use). */
export function tmuxSocket(): TmuxSocket {
  const bin = locateTmux();
  const name = `shoal-test-${randomBytes(6).toString('hex')}`;
  const env = { ...process.env };
  delete env.TMUX;
  delete env.TMUX_PANE;
  const socketPath = join(env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, name);

  const tmux = (args: readonly string[]) =>
    new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(bin, ['-L', name, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) {
          reject(
            new HarnessError('COMMAND_FAILED', `tmux -L ${name} ${args.join(' ')} failed: ${stderr.trim() || err.message}`, {
              cause: Object.assign(err, { stderr }),
            }),
          );
        } else resolve({ stdout, stderr });
      });
    });

  const sessions = async () => {
    try {
      const { stdout } = await tmux(['list-sessions', '-F', '#{session_name}']);
      return stdout.split('\n').filter(Boolean);
    } catch (err) {
      if (isNoTmuxServerError(err)) return [];
      throw err;
    }
  };

  const dispose = async () => {
    try {
      await tmux(['kill-server']);
    } catch (err) {
      if (!isNoTmuxServerError(err)) throw err;
    }
    await rm(socketPath, { force: true });
  };

  return { name, socketPath, tmux, sessions, dispose, [Symbol.asyncDispose]: dispose };
}
