/**
 * tmux driver of the node-agent: one control-mode client per tmux server, argv-only windows,
 * exit detection, literal text input. See {@link TmuxDriver}.
 */
export { TmuxDriver, validateNewWindow, type TmuxDriverOptions, type TmuxDriverEvents } from './driver.js';
export {
  TmuxControlClient,
  type ControlClientOptions,
  type ControlClientEvents,
  type ControlClientState,
  type TmuxRun,
  type TmuxRunList,
  type TmuxCommand,
} from './control-client.js';
export {
  ControlModeParser,
  LineSplitter,
  unescapeOutput,
  type ControlEvent,
  type ControlReply,
  type ControlNotification,
  type ControlStray,
} from './control-parser.js';
export { TmuxCommandError, TmuxConnectionError, isTmuxNotFound } from './errors.js';
export {
  quoteTmuxArg,
  buildTmuxCommand,
  escapeTmuxFormat,
  quoteShellWord,
  commandArgProblem,
  argvIssues,
  envIssues,
  assertSessionName,
  assertWindowName,
  assertKeyNames,
} from './quote.js';
export { signalName, exitFrom } from './formats.js';
export { verificationNeedle } from './send-text.js';
export { KeyedLock } from './keyed-lock.js';
export { ExitWatcher } from './exit-watcher.js';
export { decodeWaitStatus, zombieExitFromStat, readZombieExit } from './zombie-exit.js';
export type {
  PaneExit,
  NewWindowOptions,
  NewWindowResult,
  TmuxWindowInfo,
  TmuxSessionInfo,
  SendTextOptions,
  SendTextResult,
} from './types.js';
