import { describeExit, type Managed } from '../processes.js';
import { decideRestart, DEFAULT_RESTART_POLICY, formatDelay, type RestartPolicy } from './backoff.js';

/** A child the supervisor starts (and may start again after it exited on its own). */
export interface ServiceSpec {
  name: string;
  /** Starts the process (same argv and environment every time). */
  start: () => Managed;
  /** Why restarting cannot help after this exit (e.g. the node was removed), or undefined. */
  hopeless?: (exited: Managed) => string | undefined;
  /** Giving up on a hopeless exit of this child leaves the others running. */
  optional?: boolean;
}

interface Child {
  spec: ServiceSpec;
  proc: Managed;
  restarts: number;
  failures: number[];
}

/** Thrown by {@link Supervisor.launch} once the supervisor is stopping (Ctrl-C during start-up). */
export class StoppingError extends Error {
  constructor() {
    super('stopped while starting');
  }
}

/**
 * Keeps the children of `shoal up` / `shoal join` running: once {@link supervise}d, an unexpected
 * exit is reported and the child restarted after a growing delay (see {@link decideRestart}); too
 * many failures and the supervisor gives up (`gaveUp` resolves with the child's name). Nothing is
 * started or restarted once {@link stopAll} was called.
 */
export class Supervisor {
  private readonly children: Child[] = [];
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private stopping = false;
  private giveUp!: (name: string) => void;
  /** Resolves with the name of the first child the supervisor could not keep running. */
  readonly gaveUp: Promise<string> = new Promise((resolve) => (this.giveUp = resolve));

  constructor(
    private readonly say: (line: string) => void,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called with every process started (first start and restarts). */
  onSpawn?: (name: string, proc: Managed) => void;

  /** True once {@link stopAll} was called. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** Starts a child and keeps track of it (stopped by {@link stopAll}); not restarted until supervised. */
  launch(spec: ServiceSpec): Managed {
    if (this.stopping) throw new StoppingError();
    const proc = spec.start();
    this.children.push({ spec, proc, restarts: 0, failures: [] });
    this.onSpawn?.(spec.name, proc);
    return proc;
  }

  /** From now on, restarts the child when it exits on its own. */
  supervise(name: string): void {
    const child = this.children.find((c) => c.spec.name === name);
    if (!child) throw new Error(`no child ${name}`);
    void this.loop(child);
  }

  /** The current process of a child (it changes on every restart). */
  current(name: string): Managed | undefined {
    return this.children.find((c) => c.spec.name === name)?.proc;
  }

  /** Stops every child, last started first; cancels pending restarts. Safe to call twice. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.timers.clear();
    for (const c of [...this.children].reverse()) await c.proc.stop();
  }

  private async loop(c: Child): Promise<void> {
    for (;;) {
      const exit = await c.proc.ended;
      if (this.stopping) return;
      const decision = decideRestart(c.failures, this.now(), this.policy);
      c.failures = decision.recentFailures;
      const tail = exit.signal ? '' : lastLines(c.proc);
      const hopeless = c.spec.hopeless?.(c.proc);
      if (hopeless) {
        this.say(`${c.spec.name} exited (${describeExit(exit)}): ${hopeless}; not restarting it`);
        if (!c.spec.optional) this.giveUp(c.spec.name);
        return;
      }
      if (decision.action === 'give-up') {
        this.say(`${c.spec.name} exited (${describeExit(exit)}); it failed ${c.failures.length} times within ${formatDelay(this.policy.windowMs)}: giving up${tail}`);
        this.giveUp(c.spec.name);
        return;
      }
      c.restarts += 1;
      this.say(`${c.spec.name} exited (${describeExit(exit)}); restarting in ${formatDelay(decision.delayMs)} (restart ${c.restarts})${tail}`);
      await this.sleep(decision.delayMs);
      if (this.stopping) return;
      c.proc = c.spec.start();
      this.onSpawn?.(c.spec.name, c.proc);
      this.say(`${c.spec.name} restarted (pid ${c.proc.child.pid ?? '?'})`);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = { timer: setTimeout(() => (this.timers.delete(entry), resolve()), ms), resolve };
      this.timers.add(entry);
    });
  }
}

/** The last output lines of a child, indented, for a crash report. */
function lastLines(p: Managed, n = 5): string {
  const lines = p.lines.slice(-n).filter((l) => l.trim());
  return lines.length ? `; its last output:\n${lines.map((l) => `    ${l}`).join('\n')}` : '';
}
