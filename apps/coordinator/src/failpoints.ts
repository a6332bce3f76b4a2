import { writeSync } from 'node:fs';

/**
 * TEST-ONLY failpoints: named places in the coordinator where a chaos test can make the process
 * die or stop, to prove that state survives a crash between two steps (e.g. a KV write and a
 * publish). Off unless `SHOAL_FAILPOINTS` is set; never set it in production.
 *
 * `SHOAL_FAILPOINTS=name[:action][@n],...`
 * - `action` `exit` (default): the process kills itself with SIGKILL at once (no cleanup, no
 *   flushing, exit status 137), as a kill -9 at that instant would.
 * - `action` `hang`: the code path that reached the failpoint never continues (its promise
 *   never settles); the rest of the process keeps running.
 * - `@n`: fire on the n-th time the point is reached (default 1st); earlier hits pass.
 *
 * Names (see {@link FAILPOINT_NAMES}): `after-dispatch-persist` (the `dispatched` transition is
 * stored, the work not yet published), `after-publish` (the work is published, nothing else done
 * yet), `after-status-store` (a status report's effect is stored, the message not yet acked),
 * `before-status-store` (a status report was received by the leader, nothing of it stored yet).
 */
export const FAILPOINT_NAMES = ['after-dispatch-persist', 'after-publish', 'after-status-store', 'before-status-store'] as const;

/** A failpoint name. */
export type FailpointName = (typeof FAILPOINT_NAMES)[number];

/** What happens when a failpoint fires. */
export type FailpointAction = 'exit' | 'hang';

interface Armed {
  action: FailpointAction;
  /** Fires on this hit (1-based). */
  on: number;
  hits: number;
}

/** Parses `SHOAL_FAILPOINTS`; throws naming the variable on an unknown name or action. */
export function parseFailpoints(raw: string | undefined): Map<FailpointName, Armed> {
  const out = new Map<FailpointName, Armed>();
  if (!raw) return out;
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z-]+)(?::([a-z]+))?(?:@(\d+))?$/.exec(item);
    if (!m) throw new Error(`SHOAL_FAILPOINTS: "${item}" is not name[:action][@n]`);
    const name = m[1] as FailpointName;
    if (!FAILPOINT_NAMES.includes(name)) throw new Error(`SHOAL_FAILPOINTS: unknown failpoint "${m[1]}" (known: ${FAILPOINT_NAMES.join(', ')})`);
    const action = (m[2] ?? 'exit') as FailpointAction;
    if (action !== 'exit' && action !== 'hang') throw new Error(`SHOAL_FAILPOINTS: unknown action "${m[2]}" for ${name} (exit or hang)`);
    const on = m[3] === undefined ? 1 : Number(m[3]);
    if (on < 1) throw new Error(`SHOAL_FAILPOINTS: ${item}: @n counts from 1`);
    out.set(name, { action, on, hits: 0 });
  }
  return out;
}

/** The failpoints of this process, read from the environment once. */
export class Failpoints {
  private readonly armed: Map<FailpointName, Armed>;

  constructor(
    raw: string | undefined = process.env.SHOAL_FAILPOINTS,
    private readonly die: () => void = () => process.kill(process.pid, 'SIGKILL'),
  ) {
    this.armed = parseFailpoints(raw);
  }

  /** True when any failpoint is armed. */
  get enabled(): boolean {
    return this.armed.size > 0;
  }

  /**
   * Passes through the failpoint `name`: resolves at once unless it is armed and due, in which
   * case the process dies (`exit`) or this promise never settles (`hang`).
   */
  hit(name: FailpointName): Promise<void> {
    const a = this.armed.get(name);
    if (!a) return Promise.resolve();
    a.hits += 1;
    if (a.hits !== a.on) return Promise.resolve();
    // synchronous write: the line must be on stderr before the process dies
    writeSync(2, `shoal failpoint ${name} fired (${a.action}, hit ${a.hits})\n`);
    if (a.action === 'exit') this.die();
    return new Promise<void>(() => undefined);
  }
}

/** The process-wide failpoints (from `SHOAL_FAILPOINTS`). */
export const failpoints = new Failpoints();
