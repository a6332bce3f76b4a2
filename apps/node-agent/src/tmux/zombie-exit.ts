import { readFile } from 'node:fs/promises';
import { signalName } from './formats.js';
import type { PaneExit } from './types.js';

/**
 * Decodes a `waitpid` status word into an exit; undefined for a stopped/unknown status.
 * Pure (Linux encoding: low 7 bits = terminating signal, bits 8-15 = exit code).
 */
export function decodeWaitStatus(status: number): PaneExit | undefined {
  const sig = status & 0x7f;
  if (sig === 0) return { exitCode: (status >> 8) & 0xff };
  if (sig === 0x7f) return undefined;
  return { exitCode: null, signal: signalName(String(sig)) };
}

/**
 * Parses `/proc/<pid>/stat`: the exit status (field 52, Linux >= 3.5) if the process is a zombie.
 * Pure.
 */
export function zombieExitFromStat(stat: string): PaneExit | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
  if (fields[0] !== 'Z' || fields.length < 50) return undefined;
  return decodeWaitStatus(Number(fields[49]));
}

/**
 * Exit status of an unreaped child from /proc (tmux 3.3a can miss a SIGCHLD: the pane is dead,
 * the process a zombie, and tmux reports no status until another child exits).
 */
export async function readZombieExit(pid: number): Promise<PaneExit | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return zombieExitFromStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}
