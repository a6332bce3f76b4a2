import type { RunView } from '@shoal/protocol';
import type { ChaosCluster } from './chaos-cluster.js';

/** A sampling pause that never keeps the process alive (a watch a failed row forgot cannot hang jest). */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** Samples the API every 500 ms while a fault lasts; `stop()` returns what was seen. */
export interface Watch {
  stop(): Promise<{ lost: string[]; samples: number; errors: number }>;
}

/** Records every node the coordinator calls lost while the watch runs. */
export function watchNodes(c: ChaosCluster): Watch {
  const lost = new Set<string>();
  let samples = 0;
  let errors = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const states = await c.nodeStates();
        samples += 1;
        for (const [id, s] of Object.entries(states)) if (s === 'lost') lost.add(id);
      } catch {
        errors += 1;
      }
      await pause(500);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { lost: [...lost], samples, errors };
    },
  };
}

/** Collects task views of runs while a fault lasts (to see what the API claimed during it). */
export function watchRuns(c: ChaosCluster, runIds: string[]): { stop(): Promise<{ at: number; runs: RunView[] }[]> } {
  const seen: { at: number; runs: RunView[] }[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const at = Date.now();
        seen.push({ at, runs: await Promise.all(runIds.map((id) => c.get(id))) });
      } catch {
        // the API may refuse while the bus is down
      }
      await pause(500);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return seen;
    },
  };
}

/** Sleeps `ms` (a fault's duration: the one place the suite waits on the clock, not on a condition). */
export const hold = (ms: number) => new Promise((r) => setTimeout(r, ms));
