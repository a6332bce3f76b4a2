/** Helpers of the real-agent suite: watching a run's agent states, finding a run's processes, the result table. */
import { readFileSync, readdirSync } from 'node:fs';
import { waitFor } from '@shoal/testing';
import type { RunView } from '@shoal/protocol';

/** One state as first seen by the watcher, seconds after the run was submitted. */
export interface SeenState {
  state: string;
  atS: number;
}

/**
 * Polls a run view every second and keeps, per task, the sequence of states seen (the agent state
 * while the task runs, else the task state), so a check can ask what an agent went through.
 */
export class RunWatcher {
  readonly seen: Record<string, SeenState[]> = {};
  last: RunView | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly get: () => Promise<RunView>,
    private readonly t0: number,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.poll().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  async poll(): Promise<RunView> {
    const v = await this.get();
    this.last = v;
    for (const t of v.tasks) {
      const s = t.state === 'running' && t.agent ? t.agent.state : t.state;
      const list = (this.seen[t.id] ??= []);
      if (list.at(-1)?.state !== s) list.push({ state: s, atS: Math.round((Date.now() - this.t0) / 1000) });
    }
    return v;
  }

  /** Seconds after submit the task was first seen in `state`, or undefined. */
  firstAt(task: string, state: string, afterS = 0): number | undefined {
    return this.seen[task]?.find((s) => s.state === state && s.atS >= afterS)?.atS;
  }

  ever(task: string, state: string): boolean {
    return this.firstAt(task, state) !== undefined;
  }

  current(task: string): string | undefined {
    return this.seen[task]?.at(-1)?.state;
  }

  /** The states seen, e.g. `starting 3s > waiting-for-input 24s > working 30s`. */
  trail(task: string): string {
    return (this.seen[task] ?? []).map((s) => `${s.state} ${s.atS}s`).join(' > ');
  }

  /** Waits until `test` holds (polled with the watcher's own data); false at the deadline, never throws. */
  async until(test: () => boolean, what: string, timeoutMs: number): Promise<boolean> {
    try {
      await waitFor(test, { what, timeoutMs, intervalMs: 1000 });
      return true;
    } catch {
      return false;
    }
  }
}

/** What a {@link TextWatch} found in one task's text. */
export interface TextFound {
  /** The first capture group of the cue (or the whole match). */
  match: string;
  atS: number;
  /** The whole text it was found in. */
  text: string;
}

/**
 * Reads each task's text (e.g. its streamed output) every second from the start until `cue` shows,
 * and keeps the first match and when it was seen. Reading from the start matters: a bounded tail
 * read later may have lost it (claude's offline retry countdown fills the stream's 64 KiB).
 */
export class TextWatch {
  readonly found: Record<string, TextFound> = {};
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly tasks: () => readonly string[],
    private readonly read: (task: string) => Promise<string>,
    private readonly cue: RegExp,
    private readonly t0: number,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        for (const task of this.tasks()) {
          if (this.found[task] || this.stopped) continue;
          const text = await this.read(task).catch(() => '');
          const m = text.match(this.cue);
          if (m) this.found[task] = { match: m[1] ?? m[0], atS: Math.round((Date.now() - this.t0) / 1000), text };
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** A process of a run: found by the `SHOAL_RUN_ID` / `SHOAL_TASK_ID` it inherited (daemons that re-parent to init too). */
export interface RunProcess {
  pid: number;
  task: string;
  cmd: string;
}

/** Every live process whose environment carries `SHOAL_RUN_ID=<runId>` (needs root to read others' environ). */
export function processesOfRun(runId: string): RunProcess[] {
  const out: RunProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (!env.includes(`SHOAL_RUN_ID=${runId}`)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue; // a zombie holds nothing; its parent reaps it
      const task = env.find((e) => e.startsWith('SHOAL_TASK_ID='))?.slice('SHOAL_TASK_ID='.length) ?? '?';
      out.push({ pid: Number(name), task, cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 120) });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** One row of the suite's result table. */
export interface ResultRow {
  agent: string;
  version: string;
  reachedPrompt: string;
  firstPrompt: string;
  afterTurn: string;
  menu: string;
  stopped: string;
}

const HEADERS: Record<keyof ResultRow, string> = {
  agent: 'agent',
  version: 'version',
  reachedPrompt: 'reached prompt (s after submit)',
  firstPrompt: 'first prompt typed',
  afterTurn: 'state after the turn',
  menu: 'menu answered',
  stopped: 'stopped cleanly on cancel',
};

/** The rows as a Markdown table. */
export function markdownTable(rows: ResultRow[]): string {
  const keys = Object.keys(HEADERS) as (keyof ResultRow)[];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(keys.map((k) => HEADERS[k])), line(keys.map(() => '---')), ...rows.map((r) => line(keys.map((k) => r[k].replace(/\|/g, '\\|'))))].join('\n');
}

/** Escape debris as `shoal logs` once printed it: ESC itself, CSI remnants (`[>0q`, `[<u`, `[?25l`), charset `(B`. */
export const ESCAPE_DEBRIS = /\u001b|\[[<>=?][0-9;]*[a-zA-Z]|\[[0-9;]+[A-HJKSTfmhlnqsu]|\(B/;
