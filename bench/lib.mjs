// Shared helpers of `npm run bench`: statistics, machine info, clocks, process probes, cleanup.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Value at quantile `p` (nearest rank) of `xs`. */
export function quantile(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/** `{ n, p50, p99, min, max }` of a sample, rounded to 3 decimals. */
export function summary(xs) {
  const r = (x) => (Number.isFinite(x) ? +x.toFixed(3) : null);
  return { n: xs.length, p50: r(quantile(xs, 0.5)), p99: r(quantile(xs, 0.99)), min: r(Math.min(...xs)), max: r(Math.max(...xs)) };
}

/** `a / b` rounded to 2 decimals (null when undefined). */
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? +(a / b).toFixed(2) : null);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A short random suffix for names of sockets, namespaces and groups. */
export const rand = () => randomBytes(4).toString('hex');

/** Wall-clock milliseconds with sub-millisecond resolution, aligned on a Date.now() tick edge. */
export function wallClock() {
  const start = Date.now();
  let t;
  while ((t = Date.now()) === start);
  const offset = t - performance.now();
  return () => offset + performance.now();
}

/** Machine info printed with every result. */
export function machineInfo() {
  const ver = (cmd, args, re) => {
    try {
      const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return (out.match(re)?.[1] ?? out.trim()).trim();
    } catch {
      return 'unavailable';
    }
  };
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memTotalMb: Math.round(os.totalmem() / 1024 / 1024),
    loadAvg: os.loadavg().map((x) => +x.toFixed(2)),
    os: `${os.platform()} ${os.release()}`,
    node: process.version,
    tmux: ver('tmux', ['-V'], /tmux (\S+)/),
    natsServer: ver('nats-server', ['--version'], /\bv(\d\S*)/),
  };
}

/** Sum of utime+stime of a pid in clock ticks, and its RSS in kB; undefined once it is gone. */
export function procSample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? NaN);
    return { ticks, rssKb };
  } catch {
    return undefined;
  }
}

/** Clock ticks per second (USER_HZ). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * The probe every measured task runs: `/bin/sh <stamp.sh> <file>` writes the wall-clock
 * time in ns (`date +%s%N`) to `<file>`. `StampDir.wait(name)` resolves with that time in ms.
 */
export class StampDir {
  constructor(path) {
    this.path = path;
    this.script = join(path, 'stamp.sh');
    writeFileSync(this.script, 'date +%s%N > "$1"\n');
    this.dir = join(path, 'stamps');
    execFileSync('mkdir', ['-p', this.dir]);
    this.waiters = new Map();
    this.watcher = watch(this.dir, (_ev, name) => name && this.check(String(name)));
    this.poll = setInterval(() => {
      for (const name of this.waiters.keys()) this.check(name);
    }, 50);
  }

  /** argv that records the start of a task named `name`. */
  argv(name) {
    return ['/bin/sh', this.script, join(this.dir, name)];
  }

  check(name) {
    const w = this.waiters.get(name);
    if (!w) return;
    let text;
    try {
      text = readFileSync(join(this.dir, name), 'utf8');
    } catch {
      return;
    }
    if (!text.endsWith('\n')) return;
    this.waiters.delete(name);
    clearTimeout(w.timer);
    w.resolve(Number(BigInt(text.trim()) / 1000n) / 1000);
  }

  /** Resolves with the recorded start time (ms, µs resolution) of task `name`. */
  wait(name, timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(name);
        reject(new Error(`task ${name} did not record its start within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(name, { resolve, timer });
      this.check(name);
    });
  }

  close() {
    this.watcher.close();
    clearInterval(this.poll);
    for (const w of this.waiters.values()) clearTimeout(w.timer);
  }
}

/** Spawns a long-lived child with stdout/stderr lines kept; `waitForLine(re)` waits for a line. */
export function startChild(argv, { env, name }) {
  const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const listeners = new Set();
  let exited;
  const onData = (buf) => {
    for (const line of buf.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 5000) lines.splice(0, 1000);
      for (const l of listeners) l(line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve((exited = { code, signal }))));
  return {
    name,
    pid: child.pid,
    lines,
    /** Calls `fn` with every line printed from now on. */
    onLine(fn) {
      listeners.add(fn);
    },
    waitForLine(re, timeoutMs = 60_000) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(l);
          reject(new Error(`${name}: no line matching ${re} within ${timeoutMs} ms; last lines:\n${lines.slice(-15).join('\n')}`));
        }, timeoutMs);
        const l = (line) => {
          if (re.test(line)) {
            clearTimeout(timer);
            listeners.delete(l);
            resolve(line);
          }
        };
        listeners.add(l);
        exit.then(() => {
          if (listeners.has(l)) {
            clearTimeout(timer);
            listeners.delete(l);
            reject(new Error(`${name} exited (${JSON.stringify(exited)}) before ${re}; last lines:\n${lines.slice(-15).join('\n')}`));
          }
        });
      });
    },
    /** SIGTERM, then SIGKILL after `graceMs`; resolves on exit. */
    async stop(graceMs = 15_000) {
      if (exited) return exited;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(t);
      return exited;
    },
    exit,
  };
}

/** Kills a private tmux server (`-L name`) and removes its socket file; fine if none runs. */
export function killTmux(socket) {
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    /* no server */
  }
  rmSync(join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
}

/** Removes governor groups left under `/sys/fs/cgroup/<ctl>/<prefix>` (deepest first). Returns how many. */
export function removeCgroups(prefix) {
  let removed = 0;
  const ctls = existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : [];
  for (const ctl of ctls) {
    const root = `/sys/fs/cgroup/${ctl}/${prefix}`;
    if (!existsSync(root)) continue;
    const rm = (dir) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rm(join(dir, e.name));
      try {
        rmdirSync(dir);
        removed++;
      } catch {
        /* busy or gone */
      }
    };
    rm(root);
  }
  return removed;
}

/** Cleanup stack run in reverse order; each step's failure is logged, never thrown. */
export class Cleanup {
  steps = [];
  add(fn) {
    this.steps.push(fn);
  }
  async run() {
    while (this.steps.length) {
      const fn = this.steps.pop();
      try {
        await fn();
      } catch (e) {
        console.error(`cleanup step failed: ${e.message}`);
      }
    }
  }
}

/** A free TCP port on loopback. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** A JSON request to the API; throws with the status and body on a non-2xx answer. */
export async function json(api, path, init) {
  const res = await fetch(`${api}${path}`, init);
  const body = await res.json();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  return body;
}
