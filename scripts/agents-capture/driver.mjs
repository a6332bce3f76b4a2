/**
 * Runs one agent CLI offline in a private tmux server and drives a scenario with send-keys:
 * the tmux server (and so the CLI) lives in a fresh network namespace (`unshare -n`, only `lo` up),
 * with a scratch HOME, fake API keys and a scratch git repo as cwd. Waits on conditions (text
 * appearing, a screen settled for ~2 s, the pane dead) with generous deadlines, never blind sleeps.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SettleWatch } from './scrub.mjs';

const run = promisify(execFile);
const POLL_MS = 250;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** A CLI pane in a private tmux server inside its own network namespace. */
export class CapturePane {
  /**
   * @param {{ socket: string, bin: string, args: string[], env: Record<string,string>, cwd: string, width: number, height: number, scratch?: string }} o
   */
  constructor(o) {
    this.o = o;
    this.target = 'cap:0.0';
  }

  tmux(...args) {
    return run('tmux', ['-L', this.o.socket, '-f', '/dev/null', ...args], { env: this.o.env, maxBuffer: 16 << 20 });
  }

  /** Starts the server inside `unshare -n`, sets remain-on-exit, then starts the CLI in the pane. */
  async start() {
    const { socket, width, height, cwd, env } = this.o;
    // the placeholder keeps the session alive until remain-on-exit is set: a CLI that exits at once still leaves its screen
    execFileSync('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up && exec tmux -L "$0" -f /dev/null new-session -d -s cap -x "$1" -y "$2" -c "$3" sleep 600', socket, String(width), String(height), cwd], { env });
    await this.tmux('set-option', '-g', 'remain-on-exit', 'on');
    await this.tmux('set-option', '-g', 'history-limit', '5000');
    await this.tmux('respawn-pane', '-k', '-t', this.target, '-c', cwd, '--', this.o.bin, ...this.o.args);
    this.startedAt = Date.now();
  }

  /** The visible screen (`capture-pane -p`, no escapes). */
  async screen() {
    const { stdout } = await this.tmux('capture-pane', '-p', '-t', this.target);
    return stdout;
  }

  async dead() {
    const { stdout } = await this.tmux('display-message', '-p', '-t', this.target, '#{pane_dead}');
    return stdout.trim() === '1';
  }

  async pid() {
    const { stdout } = await this.tmux('display-message', '-p', '-t', this.target, '#{pane_pid}');
    return Number(stdout.trim());
  }

  /** Literal text (`send-keys -l`). */
  type(text) {
    return this.tmux('send-keys', '-t', this.target, '-l', text);
  }

  /** Named keys (Enter, Down, C-c, Escape...), one by one with a short gap so TUIs see each; none once the pane is dead. */
  async keys(...names) {
    for (const k of names) {
      if (await this.dead()) return;
      await this.tmux('send-keys', '-t', this.target, k);
      await pause(300);
    }
  }

  /**
   * Waits until `test(screen)` holds (and, with `settle`, the screen has settled for `settleMs`).
   * @returns {Promise<string|undefined>} the screen, or undefined at the deadline
   */
  async waitFor(test, { deadlineMs = 60_000, settle = false, settleMs = 2_000 } = {}) {
    const end = Date.now() + deadlineMs;
    const watch = new SettleWatch(settleMs);
    while (Date.now() < end) {
      const screen = await this.screen();
      const settled = watch.feed(screen, Date.now());
      if (test(screen) && (!settle || settled)) return screen;
      await pause(POLL_MS);
    }
    return undefined;
  }

  /** Waits for a settled screen, whatever it shows. */
  waitSettled(opts = {}) {
    return this.waitFor(() => true, { ...opts, settle: true });
  }

  /** Waits until the pane's process has ended. */
  async waitDead(deadlineMs = 30_000) {
    const end = Date.now() + deadlineMs;
    while (Date.now() < end) {
      if (await this.dead()) return true;
      await pause(POLL_MS);
    }
    return false;
  }

  /** RSS (MB) of the pane's process tree, from /proc. */
  async rssMb() {
    const tree = processTree(await this.pid());
    let kb = 0;
    for (const p of tree) {
      try {
        const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
        if (m) kb += Number(m[1]);
      } catch {
        /* gone */
      }
    }
    return { mb: Math.round(kb / 1024), processes: tree.length };
  }

  /**
   * Kills the pane's whole process tree, the server, and any process left running in the scratch
   * dir: codex starts an app-server daemon that re-parents to init and ignores SIGTERM.
   */
  async stop() {
    let tree = [];
    try {
      tree = processTree(await this.pid());
    } catch {
      /* server gone */
    }
    await this.tmux('kill-server').catch(() => undefined);
    const strays = this.o.scratch ? processesIn(this.o.scratch) : [];
    for (const p of [...tree, ...strays]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

/** Processes whose working directory is inside `dir` (from /proc/<pid>/cwd). */
export function processesIn(dir) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) out.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/** A process and its descendants, from /proc/<pid>/task/<tid>/children. */
export function processTree(root) {
  const out = [];
  const queue = [root];
  while (queue.length > 0) {
    const p = queue.shift();
    out.push(p);
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        if (kids) queue.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      /* gone */
    }
  }
  return out;
}

/** A scratch HOME and a scratch git repo (one empty commit) under `root`. */
export function scratch(root) {
  rmSync(root, { recursive: true, force: true });
  const home = join(root, 'home');
  const repo = join(root, 'repo');
  mkdirSync(home, { recursive: true });
  mkdirSync(repo, { recursive: true });
  const git = (...a) => execFileSync('git', a, { cwd: repo, env: { ...process.env, HOME: home, GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' } });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=capture@example.invalid', '-c', 'user.name=capture', 'commit', '-q', '--allow-empty', '-m', 'scratch');
  return { home, repo };
}
