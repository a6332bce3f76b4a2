/** How a pane's process ended. */
export interface PaneExit {
  /** Exit status when the process exited normally; null when killed by a signal or unknown. */
  exitCode: number | null;
  /** Signal name (`SIGKILL`) when the process was killed by a signal. */
  signal?: string;
  /** True when the pane or the whole tmux server vanished before its status could be read. */
  lost?: boolean;
}

/** A window created by {@link TmuxDriver.newWindow}. */
export interface NewWindowResult {
  windowId: string;
  paneId: string;
  /** PID of the process in the pane (the program itself: tmux execs argv without a shell). */
  pid: number;
  /** The name the window got (the requested one; tmux allows duplicates). */
  windowName: string;
}

/** Input of {@link TmuxDriver.newWindow}. */
export interface NewWindowOptions {
  /** Session, e.g. `Task-frontend`; created (see {@link TmuxDriver.ensureSession}) when missing. */
  session: string;
  /** Window name, e.g. `Frontend-Dev`. */
  window: string;
  /** Program and arguments; passed to the process literally, never through a shell. */
  argv: readonly string[];
  /** Absolute working directory (must exist). */
  cwd?: string;
  /** Extra environment (`NAME` must match `^[A-Za-z_][A-Za-z0-9_]*$`). */
  env?: Readonly<Record<string, string>>;
  /** Absolute path; all pane output is appended to it, from the first byte. */
  logFile?: string;
}

/** One window of a session as tmux reports it (the single pane of a Shoal window included). */
export interface TmuxWindowInfo {
  windowId: string;
  index: number;
  name: string;
  paneId: string;
  pid: number;
  dead: boolean;
  /** Exit status once dead (null if killed by a signal or still running). */
  exitCode: number | null;
  signal?: string;
  inMode: boolean;
  /** The session's hidden lobby window (listed only when asked for). */
  lobby: boolean;
}

/** One session (the hidden bootstrap session is never listed). */
export interface TmuxSessionInfo {
  id: string;
  name: string;
  windows: number;
  attached: boolean;
}

/** Options of {@link TmuxDriver.sendText}. */
export interface SendTextOptions {
  /** Press Enter (as a separate key) after the text (default true). */
  enter?: boolean;
  /** Check with capture-pane that the text reached the pane before pressing Enter (default true). */
  verify?: boolean;
  /** How long one attempt waits for the text to show (default 2 000 ms). */
  verifyTimeoutMs?: number;
  /** Attempts when the text is not seen because the pane went into a mode (default 3). */
  attempts?: number;
}

/** Result of {@link TmuxDriver.sendText}. */
export interface SendTextResult {
  /** True when the text was seen in the pane (false only with `verify: false` or no printable text). */
  verified: boolean;
  attempts: number;
}
