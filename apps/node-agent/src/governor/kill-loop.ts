import { setTimeout as delay } from 'node:timers/promises';
import { TimeoutError } from '@shoal/protocol';

/** Sends `signal` to a pid, ignoring processes that are already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/**
 * SIGKILLs whatever `listPids` returns until it returns nothing (a forking tree may add members
 * between rounds). Returns every pid signalled.
 * @throws TimeoutError when processes remain after `timeoutMs`.
 */
export async function killUntilEmpty(
  listPids: () => Promise<number[]>,
  timeoutMs: number,
  what: string,
): Promise<number[]> {
  const killed = new Set<number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = (await listPids()).filter((pid) => pid !== process.pid);
    if (pids.length === 0) return [...killed];
    if (Date.now() > deadline) {
      throw new TimeoutError(`processes of ${what} still alive after ${timeoutMs} ms: ${pids.join(' ')}`);
    }
    for (const pid of pids) if (signalPid(pid, 'SIGKILL')) killed.add(pid);
    await delay(15);
  }
}
