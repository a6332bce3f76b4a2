import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { HarnessError } from './errors.js';

/** Options for {@link spawnProcess}. */
export interface SpawnProcessOptions {
  cwd?: string;
  /** Full environment (default: `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Start in its own process group so `stop()` can signal the whole group. */
  detached?: boolean;
  /** Label used in error messages (default: argv[0]). */
  name?: string;
  /** Keep at most this many lines per stream (default 5000). */
  maxLines?: number;
}

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Which output stream {@link SpawnedProcess.waitForLine} watches. */
export type LineStream = 'stdout' | 'stderr' | 'any';

/** A started child process with captured output lines. */
export interface SpawnedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Lines of stdout seen so far (live array). */
  readonly stdout: string[];
  /** Lines of stderr seen so far (live array). */
  readonly stderr: string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** Exit status once exited, else undefined. */
  exitStatus(): ProcessExit | undefined;
  /**
   * Resolves with the match of the first line (already seen or future) matching `pattern`.
   * Rejects with `TIMEOUT` after `timeoutMs` or `PROCESS_EXITED` if the process ends first;
   * both errors include the output tail.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number, stream?: LineStream): Promise<RegExpMatchArray>;
  /**
   * Sends `signal` (default SIGTERM; to the process group when `detached`), waits up to
   * `timeoutMs` (default 10 000) for exit, then SIGKILLs. Safe to call more than once.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ProcessExit>;
  /** Last lines of both streams, for error messages. */
  outputTail(lines?: number): string;
}

type LineListener = (line: string, stream: 'stdout' | 'stderr') => void;

/** Spawns `argv` (no shell) with stdin ignored, capturing stdout/stderr line by line. */
export function spawnProcess(argv: readonly string[], opts: SpawnProcessOptions = {}): SpawnedProcess {
  if (argv.length === 0) throw new HarnessError('START_FAILED', 'spawnProcess needs a non-empty argv');
  const [file, ...args] = argv as [string, ...string[]];
  const name = opts.name ?? file;
  const maxLines = opts.maxLines ?? 5000;
  const detached = opts.detached ?? false;
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const listeners = new Set<LineListener>();
  let status: ProcessExit | undefined;
  let spawnError: Error | undefined;

  const capture = (stream: Readable, sink: string[], label: 'stdout' | 'stderr') => {
    let partial = '';
    const push = (line: string) => {
      sink.push(line);
      if (sink.length > maxLines) sink.splice(0, sink.length - maxLines);
      for (const l of listeners) l(line, label);
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const line of parts) push(line);
    });
    stream.on('end', () => {
      if (partial) push(partial);
      partial = '';
    });
  };
  capture(child.stdout!, stdout, 'stdout');
  capture(child.stderr!, stderr, 'stderr');

  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      if (child.pid === undefined) {
        status = { code: null, signal: null };
        resolve(status);
      }
    });
    child.once('exit', (code, signal) => {
      status = { code, signal };
      // Let buffered output drain, but do not hang if a grandchild keeps the pipes open.
      const grace = setTimeout(() => resolve(status!), 1000);
      void closed.then(() => {
        clearTimeout(grace);
        resolve(status!);
      });
    });
  });

  const outputTail = (lines = 40) =>
    [...stdout.slice(-lines).map((l) => `[out] ${l}`), ...stderr.slice(-lines).map((l) => `[err] ${l}`)].join('\n');

  const signalProcess = (signal: NodeJS.Signals) => {
    try {
      if (detached && child.pid !== undefined) process.kill(-child.pid, signal);
      else if (status === undefined) child.kill(signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };

  const waitForLine = (pattern: RegExp, timeoutMs = 30_000, stream: LineStream = 'any') =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const matches = (s: 'stdout' | 'stderr') => stream === 'any' || stream === s;
      const seen = [
        ...(matches('stdout') ? stdout : []),
        ...(matches('stderr') ? stderr : []),
      ];
      for (const line of seen) {
        const m = line.match(pattern);
        if (m) return resolve(m);
      }
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(listener);
      };
      const listener: LineListener = (line, s) => {
        if (!matches(s)) return;
        const m = line.match(pattern);
        if (m) {
          cleanup();
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new HarnessError('TIMEOUT', `${name}: no line matching ${pattern} within ${timeoutMs} ms\n${outputTail()}`, {
            retryable: true,
          }),
        );
      }, timeoutMs);
      listeners.add(listener);
      void exited.then((st) => {
        if (!listeners.has(listener)) return;
        cleanup();
        reject(
          new HarnessError(
            'PROCESS_EXITED',
            `${name} exited (code ${st.code}, signal ${st.signal}) before printing a line matching ${pattern}` +
              `${spawnError ? `: ${spawnError.message}` : ''}\n${outputTail()}`,
            { cause: spawnError },
          ),
        );
      });
    });

  let stopping: Promise<ProcessExit> | undefined;
  const stop = (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000) => {
    stopping ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      if (status === undefined) {
        signalProcess(signal);
        timer = setTimeout(() => signalProcess('SIGKILL'), timeoutMs);
      }
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
      if (detached) signalProcess('SIGKILL');
      return status!;
    })();
    return stopping;
  };

  return {
    child,
    pid: child.pid ?? -1,
    stdout,
    stderr,
    exited,
    exitStatus: () => status,
    waitForLine,
    stop,
    outputTail,
  };
}
