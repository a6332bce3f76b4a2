import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { DependencyError, TimeoutError } from '@shoal/protocol';
import { ControlModeParser, LineSplitter, type ControlEvent, type ControlNotification, type ControlReply } from './control-parser.js';
import { TmuxCommandError, TmuxConnectionError } from './errors.js';
import { buildTmuxCommand } from './quote.js';

/**
 * Variables of the node-agent's environment the tmux server (and so every agent it starts) must not
 * inherit: tmux's own, and Shoal's secrets (a join token, an API token).
 */
export const PRIVATE_ENV = ['TMUX', 'TMUX_PANE', 'SHOAL_JOIN_TOKEN', 'SHOAL_TOKEN'] as const;

/** Runs one tmux command and resolves with its output lines. */
export type TmuxRun = (verb: string, args?: readonly string[], options?: { timeoutMs?: number }) => Promise<string[]>;

/** One command of a command list. */
export interface TmuxCommand {
  verb: string;
  args?: readonly string[];
}

/**
 * Runs commands as one tmux command list (`a ; b ; c`) and resolves with each one's output lines.
 * tmux runs the list back to back, with no other client's command and no pane output in between,
 * and stops at the first command that fails: the promise then rejects with a
 * {@link TmuxCommandError} whose `completed` holds the outputs of the commands that ran.
 */
export type TmuxRunList = (commands: readonly TmuxCommand[], options?: { timeoutMs?: number }) => Promise<string[][]>;

/** Options for {@link TmuxControlClient}. */
export interface ControlClientOptions {
  /** tmux socket name (`tmux -L <name>`). */
  socketName: string;
  /** tmux binary (default `tmux` from PATH). */
  tmuxBin?: string;
  /** Config file read when this client starts the server (default `/dev/null`: no user config). */
  configFile?: string;
  /** Hidden session the control client attaches to (default `__shoal`). */
  bootstrapSession?: string;
  /** Default window size of sessions (default 200x50). */
  size?: { cols: number; rows: number };
  /** Deadline per command (default 15 000 ms). */
  commandTimeoutMs?: number;
  /** Deadline for starting the client and its server (default 15 000 ms). */
  connectTimeoutMs?: number;
  /** Runs after every (re)connect, before other commands; e.g. server options and hooks. */
  setup?: (run: TmuxRun) => Promise<void>;
}

/** `disconnected` -> `connecting` -> `ready`; back to `disconnected` when tmux dies; `closed` is final. */
export type ControlClientState = 'disconnected' | 'connecting' | 'ready' | 'closed';

/** Events of {@link TmuxControlClient}. */
export interface ControlClientEvents {
  /** Every asynchronous `%...` line (`output`, `window-close`, `exit`, `sessions-changed`, ...). */
  notification: [ControlNotification];
  /** A client process is ready; `generation` counts connects, `reconnect` is true after the first. */
  connected: [{ generation: number; reconnect: boolean }];
  /** The client process ended (server killed, `%exit`, crash); pending commands were rejected. */
  disconnected: [{ generation: number; reason: string }];
  /** Output that matched no command (protocol drift); for logging. */
  stray: [string];
}

interface Pending {
  verbs: string[];
  /** Outputs of the commands of this line that answered so far. */
  replies: string[][];
  resolve(replies: string[][]): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
  abandoned: boolean;
}

interface Connection {
  child: ChildProcessWithoutNullStreams;
  generation: number;
  queue: Pending[];
  startup: ReturnType<typeof pending>;
  stderr: string;
  exited: Promise<void>;
}

/**
 * One long-lived `tmux -C` process per tmux server. Commands are written one per line and their
 * replies matched in order (tmux answers a control client's lines strictly in sequence), so
 * concurrent callers are serialised by the pipe itself. If tmux or the client dies, pending
 * commands fail with {@link TmuxConnectionError} and the next command starts a new client.
 */
export class TmuxControlClient extends EventEmitter<ControlClientEvents> {
  private conn?: Connection;
  private connecting?: Promise<Connection>;
  private generation = 0;
  private closed = false;
  private readonly bin: string;
  private readonly bootstrap: string;

  constructor(private readonly options: ControlClientOptions) {
    super();
    this.bin = options.tmuxBin ?? 'tmux';
    this.bootstrap = options.bootstrapSession ?? '__shoal';
  }

  /** Current lifecycle state. */
  get state(): ControlClientState {
    if (this.closed) return 'closed';
    if (this.conn && !this.connecting) return 'ready';
    return this.connecting ? 'connecting' : 'disconnected';
  }

  /** Name of the hidden session this client is attached to. */
  get bootstrapSession(): string {
    return this.bootstrap;
  }

  /** True while a client process is attached (no command would start a tmux server). */
  get isConnected(): boolean {
    return !!this.conn && !this.connecting && !this.closed;
  }

  /** Starts the client (and the server with its bootstrap session) unless already running. */
  async connect(): Promise<void> {
    await this.ready();
  }

  /** Runs `verb args...` (every arg quoted) and resolves with tmux's output lines. */
  run: TmuxRun = async (verb, args = [], options) => {
    const conn = await this.ready();
    return (await this.send(conn, [{ verb, args }], options?.timeoutMs))[0]!;
  };

  /** Runs a command list on one line (see {@link TmuxRunList}). */
  runList: TmuxRunList = async (commands, options) => {
    const conn = await this.ready();
    return this.send(conn, commands, options?.timeoutMs);
  };

  /** Ends the client process (the tmux server keeps running). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const conn = this.conn ?? (await this.connecting?.catch(() => undefined));
    if (!conn) return;
    conn.child.stdin.end();
    const timer = setTimeout(() => conn.child.kill('SIGKILL'), 2000);
    await conn.exited;
    clearTimeout(timer);
  }

  private ready(): Promise<Connection> {
    if (this.closed) return Promise.reject(new TmuxConnectionError('tmux control client is closed'));
    if (this.conn && !this.connecting) return Promise.resolve(this.conn);
    this.connecting ??= this.start().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async start(): Promise<Connection> {
    const { cols, rows } = this.options.size ?? { cols: 200, rows: 50 };
    const env = { ...process.env };
    for (const name of PRIVATE_ENV) delete env[name];
    // secrets the node-agent resolves for tasks that name them (SHOAL_SECRET_<NAME>) never reach every agent
    for (const name of Object.keys(env)) if (name.startsWith('SHOAL_SECRET_')) delete env[name];
    // -u: without a UTF-8 locale (a container's empty environment) tmux prints the tabs of our list formats as `_`
    const argv = ['-u', '-f', this.options.configFile ?? '/dev/null', '-L', this.options.socketName, '-C'];
    argv.push('new-session', '-A', '-s', this.bootstrap, '-n', 'control', '-x', String(cols), '-y', String(rows), '--', 'cat');
    const child = spawn(this.bin, argv, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const generation = ++this.generation;
    let exitReason = 'tmux control client exited';
    const conn: Connection = {
      child,
      generation,
      queue: [],
      stderr: '',
      startup: pending(['startup']),
      exited: new Promise((resolve) => child.once('close', () => resolve())),
    };
    this.conn = conn;
    this.wire(conn, (reason) => (exitReason = reason));
    child.once('close', (code, signal) => this.onClose(conn, `${exitReason} (code ${code ?? '-'}, signal ${signal ?? '-'})`));
    const startTimeout = this.options.connectTimeoutMs ?? 15_000;
    try {
      await withTimeout(conn.startup.promise, startTimeout, `starting tmux -L ${this.options.socketName} -C`);
      await this.options.setup?.(async (verb, args = [], o) => (await this.send(conn, [{ verb, args }], o?.timeoutMs))[0]!);
    } catch (err) {
      child.kill('SIGKILL');
      if (this.conn === conn) this.conn = undefined;
      throw err;
    }
    this.emit('connected', { generation, reconnect: generation > 1 });
    return conn;
  }

  private wire(conn: Connection, setReason: (reason: string) => void): void {
    const parser = new ControlModeParser();
    const splitter = new LineSplitter();
    let started = false;
    conn.child.stdout.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) {
        const event = parser.push(line);
        if (!event) continue;
        if (event.kind === 'reply' && event.flags === 0 && !started) {
          started = true;
          answer(conn.startup, event);
        } else this.dispatch(conn, event, setReason);
      }
    });
    conn.child.stderr.on('data', (chunk: Buffer) => (conn.stderr = (conn.stderr + chunk.toString('utf8')).slice(-4096)));
    conn.child.stdin.on('error', () => undefined);
    conn.child.on('error', (err: NodeJS.ErrnoException) => {
      const error =
        err.code === 'ENOENT'
          ? new DependencyError(`tmux binary not found: ${this.bin}`, { cause: err })
          : new TmuxConnectionError(`cannot run ${this.bin}: ${err.message}`, { cause: err });
      conn.startup.reject(error);
    });
  }

  private dispatch(conn: Connection, event: ControlEvent, setReason: (reason: string) => void): void {
    if (event.kind === 'reply') {
      const entry = event.flags === 0 ? undefined : conn.queue[0];
      if (!entry) return void this.emit('stray', `unmatched reply #${event.number}: ${event.lines.join('\\n')}`);
      const failed = answer(entry, event);
      if (failed || entry.replies.length === entry.verbs.length) conn.queue.shift();
    } else if (event.kind === 'notification') {
      if (event.name === 'exit') setReason(`tmux control client got %exit${event.args.length ? ` (${event.args.join(' ')})` : ''}`);
      this.emit('notification', event);
    } else this.emit('stray', event.raw);
  }

  private send(conn: Connection, commands: readonly TmuxCommand[], timeoutMs = this.options.commandTimeoutMs ?? 15_000): Promise<string[][]> {
    const verbs = commands.map((c) => c.verb);
    if (verbs.length === 0) return Promise.resolve([]);
    const line = commands.map((c) => buildTmuxCommand(c.verb, c.args ?? [])).join(' ; ');
    if (this.conn !== conn) return Promise.reject(new TmuxConnectionError(`tmux control client gone before ${verbs.join(' ; ')}`));
    const entry = pending(verbs);
    entry.timer = setTimeout(() => {
      entry.abandoned = true;
      entry.reject(new TimeoutError(`tmux ${verbs.join(' ; ')} got no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.queue.push(entry);
    this.write(conn, `${line}\n`);
    return entry.promise;
  }

  /** Writes command lines; lines written in the same tick go to tmux in one write. */
  private write(conn: Connection, text: string): void {
    const stdin = conn.child.stdin;
    if (stdin.writableCorked === 0) {
      stdin.cork();
      process.nextTick(() => stdin.uncork());
    }
    stdin.write(text);
  }

  private onClose(conn: Connection, reason: string): void {
    const detail = conn.stderr.trim() ? `${reason}: ${conn.stderr.trim()}` : reason;
    const error = new TmuxConnectionError(detail);
    conn.startup.reject(error);
    for (const entry of conn.queue.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    if (this.conn === conn) this.conn = undefined;
    this.emit('disconnected', { generation: conn.generation, reason: detail });
  }
}

function pending(verbs: string[]): Pending & { promise: Promise<string[][]> } {
  let resolve!: (replies: string[][]) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<string[][]>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined);
  return { verbs, replies: [], resolve, reject, abandoned: false, promise };
}

/**
 * Records one reply of a line's command list; settles the entry when the list is complete or a
 * command failed (tmux skips the rest of a list after an error). Returns true on a failure.
 */
function answer(entry: Pending, reply: ControlReply): boolean {
  const verb = entry.verbs[entry.replies.length] ?? entry.verbs[0]!;
  if (!reply.ok) {
    clearTimeout(entry.timer);
    if (!entry.abandoned) entry.reject(new TmuxCommandError(verb, reply.lines.join('\n') || 'unknown error', { completed: entry.replies }));
    return true;
  }
  entry.replies.push(reply.lines);
  if (entry.replies.length === entry.verbs.length) {
    clearTimeout(entry.timer);
    if (!entry.abandoned) entry.resolve(entry.replies);
  }
  return false;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
