import type { TaskOutcome } from '@shoal/protocol';
import type { GovernedTask } from '../governor/index.js';
import { type AttemptDeps, TaskAttempt } from '../task-attempt.js';
import type { PaneExit, TmuxDriver } from '../tmux/index.js';

/**
 * One task of a batch session: an attempt (its own key, span, log file, timeout, report) that
 * runs in the session's window. In an interactive session its "exit" is the end of its turn (the
 * agent back at its prompt) or the agent's death, and the agent's resource group is shared: a
 * member neither releases it nor counts its verdict unless the agent died. A plain-command member
 * is an ordinary attempt whose process was respawned in the session's pane.
 */
export class BatchMember extends TaskAttempt {
  private readonly endTurn?: (exit: PaneExit) => void;

  /**
   * `shared`: the interactive session's group and real tmux (the member's exit becomes its turn's
   * end); without it, the deps are used as they are (plain command).
   */
  constructor(
    task: TaskAttempt['task'],
    deps: AttemptDeps,
    private readonly stopping: () => void,
    shared?: { agentDead(): boolean },
  ) {
    let endTurn!: (exit: PaneExit) => void;
    const turnOver = new Promise<PaneExit>((resolve) => (endTurn = resolve));
    super(task, shared ? { ...deps, tmux: turnTmux(deps.tmux, turnOver), governed: sharedGroup(deps.governed, shared.agentDead) } : deps);
    if (shared) this.endTurn = endTurn;
  }

  /** Ends an interactive member's turn: `{ exitCode: 0 }` when the agent answered, the agent's exit when it died. */
  finishTurn(exit: PaneExit): void {
    this.endTurn?.(exit);
  }

  /**
   * An interactive member's turn ends with the agent alive at its prompt, its output already
   * settled on screen and in the log: no dead pane to wait for, the tail is read once.
   */
  protected override finalScreen(): Promise<string | undefined> {
    return this.endTurn ? Promise.resolve(undefined) : super.finalScreen();
  }

  /** A session is never restarted for one member (on_stall: restart): the member fails instead, and its retry gets a fresh session. */
  override restart(reason: string): Promise<void> {
    return this.stop('failed', `${reason}; a batch session is not restarted: the member fails`);
  }

  /** During its turn, in an interactive session: the agent is stopped too (the session takes no further member). */
  override async stop(outcome: TaskOutcome, reason: string): Promise<void> {
    if (this.state !== 'running') return;
    this.stopping();
    await super.stop(outcome, reason);
  }
}

/**
 * What stands for a member waiting for its turn in the node's table of attempts: a cancel (or a
 * newer attempt of its task) takes it out of the queue through `onStop`; nothing runs for it yet.
 */
export class QueuedMember extends TaskAttempt {
  constructor(
    task: TaskAttempt['task'],
    deps: AttemptDeps,
    private readonly onStop: (outcome: TaskOutcome, reason: string) => void,
  ) {
    super(task, deps);
  }

  override stop(outcome: TaskOutcome, reason: string): Promise<void> {
    if (this.state === 'starting') {
      this.state = 'exited';
      this.onStop(outcome, reason);
    }
    return Promise.resolve();
  }
}

/** The session's tmux, where waiting for the member's "exit" waits for the end of its turn. */
function turnTmux(tmux: TmuxDriver, turnOver: Promise<PaneExit>): TmuxDriver {
  const view = Object.create(tmux) as TmuxDriver;
  view.waitForExit = () => turnOver;
  return view;
}

/** The agent's group as one member sees it: usage, CPU and kill go through; release is the session's. */
function sharedGroup(g: GovernedTask, agentDead: () => boolean): GovernedTask {
  return {
    taskKey: g.taskKey,
    wrapArgv: (argv) => argv,
    attach: () => undefined,
    usage: () => g.usage(),
    verdict: () => (agentDead() ? g.verdict() : Promise.resolve(null)),
    setCpu: (p) => g.setCpu(p),
    resize: (b) => g.resize(b),
    kill: () => g.kill(),
    release: () => Promise.resolve(),
  };
}
