import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Uids and state of one process, from /proc/<pid>/status. */
export interface ProcOwner {
  pid: number;
  /** Real, effective, saved and filesystem uid. */
  uids: [number, number, number, number];
  /** State letter (`R`, `S`, `Z`...). */
  state: string;
}

/** Parses the `State:` and `Uid:` lines of /proc/<pid>/status; null when they are missing. */
export function parseProcOwner(pid: number, statusText: string): ProcOwner | null {
  const uid = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/m.exec(statusText);
  const state = /^State:\s+(\S)/m.exec(statusText);
  if (!uid || !state) return null;
  return { pid, uids: [Number(uid[1]), Number(uid[2]), Number(uid[3]), Number(uid[4])], state: state[1]! };
}

/**
 * Live processes (zombies and dead ones left out: they cannot be killed and hold nothing) whose
 * real, effective, saved or filesystem uid satisfies `wanted`, grouped by that uid.
 */
export async function processesByUid(procRoot: string, wanted: (uid: number) => boolean): Promise<Map<number, number[]>> {
  const entries = (await readdir(procRoot)).filter((e) => /^\d+$/.test(e));
  const owners = await Promise.all(
    entries.map(async (e) => {
      try {
        return parseProcOwner(Number(e), await readFile(join(procRoot, e, 'status'), 'utf8'));
      } catch {
        return null; // exited while scanning
      }
    }),
  );
  const byUid = new Map<number, number[]>();
  for (const o of owners) {
    if (!o || o.state === 'Z' || o.state === 'X') continue;
    const uid = o.uids.find(wanted);
    if (uid === undefined) continue;
    byUid.set(uid, [...(byUid.get(uid) ?? []), o.pid]);
  }
  return byUid;
}
