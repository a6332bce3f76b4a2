import { ExecutionError, TransportError } from '@shoal/protocol';

/** tmux answered a command with `%error` (bad target, duplicate session, ...). Not retryable as is. */
export class TmuxCommandError extends ExecutionError {
  constructor(
    /** The tmux command verb, e.g. `new-window` (arguments are left out: they may carry secrets). */
    readonly verb: string,
    /** tmux's own error text. */
    readonly tmuxMessage: string,
    options?: { cause?: unknown; completed?: string[][] },
  ) {
    super(`tmux ${verb} failed: ${tmuxMessage}`, false, options);
    this.completed = options?.completed ?? [];
  }

  /** In a command list: the outputs of the commands that ran before this one failed. */
  readonly completed: string[][];
}

/** The control-mode client could not start or died (tmux server killed, binary gone); retry reconnects. */
export class TmuxConnectionError extends TransportError {}

/** True when a tmux error only says the target (pane, window, session) does not exist. */
export function isTmuxNotFound(err: unknown): boolean {
  return err instanceof TmuxCommandError && /can't find|no such|not found/i.test(err.tmuxMessage);
}
