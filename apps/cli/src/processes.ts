import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DependencyError, TimeoutError } from '@shoal/protocol';

const INSTALL_HINT: Record<string, string> = {
  'nats-server': 'install it with `sudo apt-get install -y nats-server` (Debian/Ubuntu) or `brew install nats-server` (macOS), or run `npm run quickstart`',
  tmux: 'install it with `sudo apt-get install -y tmux` (Debian/Ubuntu) or `brew install tmux` (macOS), or run `npm run quickstart`',
};

/** Finds a program on PATH (plus the sbin dirs Debian uses for nats-server); throws a DependencyError saying how to install it. */
export function requireBinary(name: string, env = process.env): string {
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/opt/homebrew/bin'];
  for (const d of dirs.filter(Boolean)) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new DependencyError(`${name} was not found: ${INSTALL_HINT[name] ?? 'install it and retry'}`);
}

/** How a child process ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** `code 1` or `signal SIGKILL`, for messages. */
export function describeExit(e: ExitStatus): string {
  return e.signal ? `signal ${e.signal}` : `code ${e.code}`;
}

/** A child process whose output lines are kept and can be waited on. */
export class Managed {
  readonly lines: string[] = [];
  private readonly waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  /** Resolves with the exit code and signal once the process has ended. */
  readonly ended: Promise<ExitStatus>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    echo?: (line: string) => void,
  ) {
    const onLine = (line: string) => {
      this.lines.push(line);
      if (this.lines.length > 500) this.lines.shift();
      echo?.(line);
      for (const w of [...this.waiters]) {
        const m = w.re.exec(line);
        if (m) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    this.ended = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (e) => {
        onLine(`cannot start ${name}: ${e.message}`);
        if (child.pid === undefined) resolve({ code: null, signal: null });
      });
    });
    this.exited = this.ended.then((e) => e.code);
  }

  /** Resolves with the first output line matching `re`; rejects if the process exits or the deadline passes. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const seen = this.lines.map((l) => re.exec(l)).find(Boolean);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError(`${this.name} not ready after ${timeoutMs} ms:\n${this.lines.slice(-20).join('\n')}`)), timeoutMs);
      this.waiters.push({ re, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (code ${code}) before it was ready:\n${this.lines.slice(-20).join('\n')}`));
      });
    });
  }

  /** Sends SIGTERM, then SIGKILL after the deadline; resolves when the process is gone. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Spawns a program with an argv array (never a shell), in its own process group: a Ctrl-C on the
 * terminal reaches only the CLI, which then stops its children in order.
 */
export function start(name: string, argv: string[], env: NodeJS.ProcessEnv, echo?: (line: string) => void): Managed {
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Managed(name, child, echo);
}
