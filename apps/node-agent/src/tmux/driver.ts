import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { ValidationError, type FieldIssue } from '@shoal/protocol';
import { TmuxControlClient, type ControlClientOptions, type TmuxCommand, type TmuxRun } from './control-client.js';
import type { ControlNotification } from './control-parser.js';
import { isTmuxNotFound, TmuxCommandError, TmuxConnectionError } from './errors.js';
import { ExitWatcher } from './exit-watcher.js';
import { CREATED_FORMAT, parseCreatedLine, parseSessionLine, parseWindowLine, SESSION_FORMAT, WINDOW_FORMAT } from './formats.js';
import { KeyedLock } from './keyed-lock.js';
import { argvIssues, assertKeyNames, assertSessionName, assertWindowName, commandArgProblem, envIssues, escapeTmuxFormat, quoteShellWord } from './quote.js';
import { leaveModes, sendText } from './send-text.js';
import type { NewWindowOptions, NewWindowResult, PaneExit, SendTextOptions, SendTextResult, TmuxSessionInfo, TmuxWindowInfo } from './types.js';

/**
 * How long a start waits out a tmux server that is still shutting down (it answers `%exit` until it
 * is gone; with busy panes on a loaded host that took over a second).
 */
const DYING_SERVER_WAIT_MS = 30_000;

/** Options of {@link TmuxDriver.connect}. */
export interface TmuxDriverOptions extends Pick<ControlClientOptions, 'socketName' | 'tmuxBin' | 'configFile' | 'size' | 'commandTimeoutMs'> {
  /** Fallback poll for dead panes while someone waits (default 200 ms). */
  exitPollMs?: number;
  /** Install the `pane-died` hook doorbell for event-driven exit detection (default true). */
  exitHook?: boolean;
}

/** Events of {@link TmuxDriver}. */
export interface TmuxDriverEvents {
  /** A pane's process ended (reported once per pane, also for panes nobody waits for). */
  'pane-exited': [paneId: string, exit: PaneExit];
  /** A new control client is up after the previous one died; `serverRestarted` if the server is new. */
  reconnect: [{ generation: number; serverRestarted: boolean }];
  /** The control client died; the next command reconnects. */
  disconnect: [{ reason: string }];
  /** Any control-mode notification (`%sessions-changed`, `%window-close`, ...). */
  notification: [ControlNotification];
  /** Background failures (exit checks); informational. */
  error: [unknown];
}

/**
 * Node-agent's tmux driver on one private tmux server (`-L socketName`). Every task runs in its
 * own window of its team's session, from an argv (never a shell), with `remain-on-exit` so its
 * exit status stays readable. All commands go through one control-mode client.
 */
export class TmuxDriver extends EventEmitter<TmuxDriverEvents> {
  private readonly exits: ExitWatcher;
  private readonly sessionLocks = new KeyedLock();
  private bootPane?: string;
  private serverPid?: number;
  private restarted = false;

  private constructor(
    private readonly client: TmuxControlClient,
    private readonly options: TmuxDriverOptions,
  ) {
    super();
    this.exits = new ExitWatcher(this.run, options.exitPollMs ?? 200, (paneId, exit) => this.emit('pane-exited', paneId, exit), (err) => this.emitError(err));
  }

  /**
   * Connects (starting the tmux server and its hidden bootstrap session if needed). A server that
   * is shutting down as we connect (a `kill-server` a moment earlier) answers `%exit`: connecting
   * again a moment later starts a fresh one.
   */
  static async connect(options: TmuxDriverOptions): Promise<TmuxDriver> {
    const started = Date.now();
    const deadline = started + DYING_SERVER_WAIT_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await TmuxDriver.connectOnce(options);
      } catch (err) {
        if (!/%exit/.test((err as Error).message)) throw err;
        if (Date.now() >= deadline) {
          (err as Error).message += ` (a server that exits as we connect: ${attempt} tries over ${Math.round((Date.now() - started) / 1000)} s)`;
          throw err;
        }
        await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
      }
    }
  }

  private static async connectOnce(options: TmuxDriverOptions): Promise<TmuxDriver> {
    let driver: TmuxDriver | undefined;
    const client = new TmuxControlClient({ ...options, setup: (run) => driver!.setup(run) });
    driver = new TmuxDriver(client, options);
    client.on('notification', (n) => driver.onNotification(n));
    client.on('disconnected', ({ reason }) => void driver.onDisconnected(reason));
    client.on('connected', ({ generation, reconnect }) => reconnect && driver.emit('reconnect', { generation, serverRestarted: driver.restarted }));
    await client.connect();
    return driver;
  }

  /** True while connected to a running tmux server; housekeeping should not start a new one. */
  get connected(): boolean {
    return this.client.isConnected;
  }

  /** The tmux socket name this driver talks to. */
  get socketName(): string {
    return this.options.socketName;
  }

  /** Runs any tmux command through the control client (args are quoted; formats in them still expand where tmux expands them). */
  readonly run: TmuxRun = (verb, args, options) => this.client.run(verb, args, options);

  /** Creates `session` (detached, with a hidden lobby window) unless it exists. Idempotent; returns whether it was created. */
  async ensureSession(session: string, options: { cwd?: string } = {}): Promise<boolean> {
    assertSessionName(session);
    if (options.cwd !== undefined) await assertDirectory(options.cwd, 'cwd');
    return this.sessionLocks.run(session, async () => {
      if (await this.hasSession(session)) return false;
      const cwd = options.cwd === undefined ? [] : ['-c', escapeTmuxFormat(options.cwd)];
      try {
        const [windowId] = await this.run('new-session', ['-d', '-P', '-F', '#{window_id}', '-s', session, '-n', 'lobby', ...cwd, '--', 'cat']);
        await this.run('set-option', ['-w', '-t', windowId, '@shoal_lobby', '1']);
        return true;
      } catch (err) {
        if (err instanceof TmuxCommandError && /duplicate session/.test(err.tmuxMessage)) return false;
        throw err;
      }
    });
  }

  /** True if `session` exists (exact name). */
  async hasSession(session: string): Promise<boolean> {
    assertSessionName(session);
    try {
      await this.run('has-session', ['-t', `=${session}`]);
      return true;
    } catch (err) {
      if (isTmuxNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Starts `argv` in a new window at the end of `session`, creating the session when it is missing.
   * With `logFile`, pipe-pane is attached in the same tmux command list as the window: tmux reads
   * no pane output between the two, so the log holds the program's output from the first byte.
   * The window gets the requested name as is (tmux allows duplicate names).
   */
  async newWindow(options: NewWindowOptions): Promise<NewWindowResult> {
    await validateNewWindow(options);
    const { session, argv, cwd, env = {}, logFile } = options;
    const target = `=${session}:{end}`;
    const spawnArgs = [...(cwd === undefined ? [] : ['-c', escapeTmuxFormat(cwd)])];
    for (const [name, value] of Object.entries(env)) spawnArgs.push('-e', `${name}=${value}`);
    const program = argv.length === 1 ? ['/bin/sh', '-c', 'exec "$@"', 'sh', argv[0]] : [...argv];
    const commands: TmuxCommand[] = [
      { verb: 'new-window', args: ['-d', '-a', '-P', '-F', CREATED_FORMAT, '-t', target, '-n', escapeTmuxFormat(options.window), ...spawnArgs, '--', ...program] },
    ];
    if (logFile !== undefined) commands.push({ verb: 'pipe-pane', args: ['-t', target, escapeTmuxFormat(`exec cat >> ${quoteShellWord(logFile)}`)] });
    try {
      const [created] = await this.inSession(session, commands);
      return { ...parseCreatedLine(created![0]), windowName: options.window };
    } catch (err) {
      const created = err instanceof TmuxCommandError ? err.completed[0]?.[0] : undefined;
      if (created) await this.killWindow(parseCreatedLine(created).windowId).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Moves a window (by id, e.g. one started ahead of time elsewhere) to the end of `session` and
   * names it `name`, creating the session when it is missing. The window's panes and processes stay.
   */
  async moveWindow(windowId: string, session: string, name: string): Promise<void> {
    if (!/^@\d+$/.test(windowId)) throw new ValidationError([{ path: 'windowId', message: `not a tmux window id: ${JSON.stringify(windowId)}` }]);
    assertSessionName(session);
    assertWindowName(name);
    await this.inSession(session, [
      { verb: 'move-window', args: ['-d', '-a', '-s', windowId, '-t', `=${session}:{end}`] },
      { verb: 'rename-window', args: ['-t', windowId, escapeTmuxFormat(name)] },
    ]);
  }

  /** Resolves when the pane's process has ended: exit status, signal, or `lost` if the pane/server vanished. */
  waitForExit(paneId: string): Promise<PaneExit> {
    assertPaneId(paneId);
    return this.exits.wait(paneId);
  }

  /** Types one line of text into a pane (see {@link sendText}); leaves copy-mode first. */
  sendText(paneId: string, text: string, options?: SendTextOptions): Promise<SendTextResult> {
    assertPaneId(paneId);
    return sendText(this.run, paneId, text, options);
  }

  /** Sends key names (`C-c`, `Enter`, `Escape`, `Up`...) after leaving copy-mode. */
  async sendKeys(paneId: string, keys: readonly string[]): Promise<void> {
    assertPaneId(paneId);
    assertKeyNames(keys);
    await leaveModes(this.run, paneId);
    await this.run('send-keys', ['-t', paneId, ...keys]);
  }

  /** Pane text with wrapped lines joined; `lines` of history above the visible screen (default 0). Trailing blank lines dropped. */
  async capturePane(paneId: string, options: { lines?: number } = {}): Promise<string> {
    assertPaneId(paneId);
    const start = options.lines ? ['-S', String(-Math.max(0, Math.floor(options.lines)))] : [];
    const lines = await this.run('capture-pane', ['-p', '-J', '-t', paneId, ...start]);
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    return lines.join('\n');
  }

  /**
   * Windows of `session`; [] if the session does not exist. The session's lobby window is left out
   * unless `lobby`; dead panes get their exit status unless `exitStatus` is false.
   */
  async listWindows(session: string, options: { lobby?: boolean; exitStatus?: boolean } = {}): Promise<TmuxWindowInfo[]> {
    assertSessionName(session);
    try {
      const lines = await this.run('list-panes', ['-s', '-t', `=${session}`, '-F', WINDOW_FORMAT]);
      const windows = lines.map(parseWindowLine).filter((w) => options.lobby || !w.lobby);
      return Promise.all(
        windows.map(async (w) => {
          if (!w.dead || options.exitStatus === false) return w;
          const { exitCode, signal } = await this.exits.resolveDead(w.paneId, w.pid, w);
          return { ...w, exitCode, ...(signal ? { signal } : {}) };
        }),
      );
    } catch (err) {
      if (isTmuxNotFound(err)) return [];
      throw err;
    }
  }

  /** Sessions on this server, without the hidden bootstrap session. */
  async listSessions(): Promise<TmuxSessionInfo[]> {
    const lines = await this.run('list-sessions', ['-F', SESSION_FORMAT]);
    return lines.map(parseSessionLine).filter((s) => s.name !== this.client.bootstrapSession);
  }

  /** Kills a window by id (`@3`) or exact target; false if it did not exist. */
  async killWindow(windowId: string): Promise<boolean> {
    return this.killing('kill-window', windowId);
  }

  /** Kills a session; false if it did not exist. */
  async killSession(session: string): Promise<boolean> {
    assertSessionName(session);
    return this.killing('kill-session', `=${session}`);
  }

  /** Kills the tmux server (every session, every pane). Waiters resolve as `lost`. The next command starts a new server. */
  async killServer(): Promise<void> {
    const gone = new Promise<void>((resolve) => this.client.once('disconnected', () => resolve()));
    this.exits.serverGone();
    try {
      await this.run('kill-server');
    } catch (err) {
      if (!(err instanceof TmuxConnectionError)) throw err;
    }
    await gone;
  }

  /** Stops exit watching and ends the control client; tmux and its windows keep running. */
  async close(): Promise<void> {
    this.exits.dispose();
    await this.client.close();
  }

  /** Runs a command list whose first command targets `session`; creates the session and runs it again if it is missing. */
  /**
   * Runs `commands` against `session`, creating it when they found it missing. A session that exists
   * by the time that is checked was created meanwhile (another task of the team starting at the same
   * moment): the commands are run again, not failed with "can't find session".
   */
  private inSession(session: string, commands: TmuxCommand[]): Promise<string[][]> {
    return this.client.runList(commands).catch(async (err: unknown) => {
      if (!isTmuxNotFound(err) || (err as TmuxCommandError).completed.length > 0) throw err;
      await this.ensureSession(session);
      return this.client.runList(commands);
    });
  }

  private async killing(verb: string, target: string): Promise<boolean> {
    try {
      await this.run(verb, ['-t', target]);
      return true;
    } catch (err) {
      if (isTmuxNotFound(err)) return false;
      throw err;
    }
  }

  private async setup(run: TmuxRun): Promise<void> {
    const [info = ''] = await run('display-message', ['-p', '-t', `=${this.client.bootstrapSession}:`, '#{pane_id} #{pid}']);
    const [bootPane, pid] = info.split(' ');
    assertPaneId(bootPane);
    this.restarted = this.serverPid !== undefined && this.serverPid !== Number(pid);
    if (this.restarted) {
      this.exits.serverGone();
      this.exits.forget();
    }
    this.serverPid = Number(pid);
    this.bootPane = bootPane;
    await run('set-option', ['-g', '-w', 'remain-on-exit', 'on']);
    const { cols, rows } = this.options.size ?? { cols: 200, rows: 50 };
    await run('set-option', ['-g', 'default-size', `${cols}x${rows}`]);
    if (this.options.exitHook !== false) await run('set-hook', ['-g', 'pane-died', `send-keys -t ${bootPane} Enter`]);
  }

  private onNotification(n: ControlNotification): void {
    if (n.name === 'output' && n.args[0] === this.bootPane) this.exits.poke();
    else if (n.name === 'window-close' || n.name === 'unlinked-window-close') this.exits.poke();
    this.emit('notification', n);
  }

  private async onDisconnected(reason: string): Promise<void> {
    this.emit('disconnect', { reason });
    if (this.exits.waiting === 0) return;
    const pid = await probeServerPid(this.options.tmuxBin ?? 'tmux', this.options.socketName);
    if (pid !== this.serverPid) this.exits.serverGone();
  }

  private emitError(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

/** PID of the server on `socketName` without starting one; undefined if none runs. */
function probeServerPid(bin: string, socketName: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile(bin, ['-L', socketName, 'display-message', '-p', '#{pid}'], { timeout: 5000 }, (err, stdout) => resolve(err ? undefined : Number(stdout.trim())));
  });
}

function assertPaneId(paneId: string | undefined): asserts paneId is string {
  if (!paneId || !/^%\d+$/.test(paneId)) throw new ValidationError([{ path: 'paneId', message: `not a tmux pane id: ${JSON.stringify(paneId)}` }]);
}

async function assertDirectory(path: string, field: string): Promise<void> {
  const problem = !isAbsolute(path) ? 'must be an absolute path' : commandArgProblem(path);
  if (problem) throw new ValidationError([{ path: field, message: problem }]);
  const isDir = await stat(path).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new ValidationError([{ path: field, message: `not an existing directory: ${path}` }]);
}

/** Checks new-window input (names, argv, env, paths; cwd must exist) without touching tmux; throws ValidationError. */
export async function validateNewWindow(options: NewWindowOptions): Promise<void> {
  assertSessionName(options.session);
  assertWindowName(options.window);
  const issues: FieldIssue[] = [...argvIssues(options.argv), ...envIssues(options.env ?? {})];
  if (options.logFile !== undefined) {
    const problem = !isAbsolute(options.logFile) ? 'must be an absolute path' : commandArgProblem(options.logFile);
    if (problem) issues.push({ path: 'logFile', message: problem });
  }
  if (issues.length) throw new ValidationError(issues);
  if (options.cwd !== undefined) await assertDirectory(options.cwd, 'cwd');
}
