import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** What `shoal up` / `shoal join` record about their children while they run (`up.pids` / `join.pids`). */
export interface UpPids {
  up: number;
  /** name -> pid and a word of its command line that identifies it (pids get reused). */
  children: Record<string, { pid: number; marker: string }>;
}

/** Records a (re)started child. */
export function recordChild(file: string, up: number, name: string, pid: number, marker: string): void {
  const current = read(file);
  const next: UpPids = current && current.up === up ? current : { up, children: {} };
  next.children[name] = { pid, marker };
  writeFileSync(file, `${JSON.stringify(next)}\n`, { mode: 0o600 });
}

/**
 * Stops the children of an earlier `shoal up` that was killed without stopping them (kill -9, OOM):
 * each pid still alive whose command line still holds its marker gets SIGTERM, then SIGKILL after
 * `graceMs`. Returns how many were stopped. Throws when the earlier `up` itself still runs.
 */
export async function stopLeftovers(file: string, say: (s: string) => void, who = 'shoal up', graceMs = 10_000): Promise<number> {
  const pids = read(file);
  if (!pids) return 0;
  if (pids.up !== process.pid && alive(pids.up)) throw new Error(`another ${who} (pid ${pids.up}) runs with this data dir; stop it first, or pass another --data-dir`);
  const found: { name: string; pid: number }[] = [];
  for (const [name, c] of Object.entries(pids.children)) {
    if (c.pid > 1 && alive(c.pid) && (await commandLine(c.pid)).includes(c.marker)) found.push({ name, pid: c.pid });
  }
  if (found.length) say(`stopping what an earlier ${who} (pid ${pids.up}) left running: ${found.map((f) => `${f.name} (pid ${f.pid})`).join(', ')}`);
  for (const f of found.reverse()) {
    signal(f.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(f.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(f.pid)) signal(f.pid, 'SIGKILL');
  }
  rmSync(file, { force: true });
  return found.length;
}

function read(file: string): UpPids | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as UpPids;
  } catch {
    return undefined;
  }
}

async function commandLine(pid: number): Promise<string> {
  return exec('ps', ['-o', 'args=', '-p', String(pid)]).then(
    (r) => r.stdout,
    () => '',
  );
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
