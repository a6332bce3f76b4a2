/** Timing of the coordinator's own bus probe, derived from the node TTL. */
export interface GateTiming {
  /** How often the coordinator probes the bus and sweeps the nodes. */
  pulseMs: number;
  /** How long one probe may take before the bus counts as impaired. */
  probeTimeoutMs: number;
}

/** The pulse and probe timeout for a node TTL: both a quarter of it, within 250 ms and 1 s / 2 s. */
export function gateTiming(nodeTtlMs: number): GateTiming {
  const quarter = Math.floor(nodeTtlMs / 4);
  return { pulseMs: Math.max(250, Math.min(1000, quarter)), probeTimeoutMs: Math.max(250, Math.min(2000, quarter)) };
}

/**
 * Decides whether the coordinator may judge node liveness at all. Outages are not deaths: a node
 * whose heartbeats stopped because the bus (or the coordinator itself) was away is not lost.
 *
 * The coordinator probes its own round trip to the bus every pulse. Judging is allowed only while
 * the last probe succeeded recently and the sweep itself ran on time; the moment it is allowed
 * again after an outage or a stall, every node's silence is counted from then on
 * ({@link judgeFrom}), so a node has a full TTL after the bus came back to be heard.
 * Framework-free, clock passed in.
 */
export class LivenessGate {
  private healthySince?: number;
  private lastOkAt?: number;
  private lastTickAt?: number;
  private impairedReason = 'no bus probe yet';

  constructor(private readonly timing: GateTiming) {}

  /** A probe of the bus answered (`ok`) or failed / timed out at `now`. */
  probed(ok: boolean, now: number, why = 'bus probe failed'): void {
    if (!ok) {
      this.impaired(why);
      return;
    }
    this.lastOkAt = now;
    this.healthySince ??= now;
  }

  /** The bus connection dropped (from the client's status events). */
  impaired(why: string): void {
    this.healthySince = undefined;
    this.impairedReason = why;
  }

  /** Called at every sweep: a sweep that comes late means the coordinator itself stalled. */
  tick(now: number): void {
    const late = this.lastTickAt !== undefined && now - this.lastTickAt > 3 * this.timing.pulseMs;
    if (late) this.impaired(`coordinator stalled ${now - this.lastTickAt!} ms`);
    this.lastTickAt = now;
  }

  /**
   * The time from which silence counts, or undefined while nobody may be judged (the bus is
   * impaired, or its last good probe is too old).
   */
  judgeFrom(now: number): number | undefined {
    if (this.healthySince === undefined || this.lastOkAt === undefined) return undefined;
    if (now - this.lastOkAt > 2 * this.timing.pulseMs + this.timing.probeTimeoutMs) return undefined;
    return this.healthySince;
  }

  /** Why judging is suspended (for logs and the health endpoint); undefined while judging. */
  suspendedBecause(now: number): string | undefined {
    if (this.judgeFrom(now) !== undefined) return undefined;
    return this.healthySince === undefined ? this.impairedReason : 'bus probe overdue';
  }
}
