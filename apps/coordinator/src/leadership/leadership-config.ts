import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type CoordinatorConfig, int } from '../config.js';

/** How this coordinator takes part in the leader election. */
export interface LeadershipConfig {
  /**
   * `SHOAL_COORDINATOR_ID`: the replica's stable name; default `<hostname>:<port>` (with PORT=0 a
   * random suffix instead of the port). Must differ between replicas: a process that finds the
   * lease held under its own name at its first read takes it at once (its predecessor's restart).
   */
  coordinatorId: string;
  /** The API as the other replicas reach it: `SHOAL_PUBLIC_URL`, else the listen address. */
  url: string;
  /** `SHOAL_LEADER_LEASE_MS` (default 5000): a standby takes over after the lease stood still this long. */
  leaseMs: number;
  /** Renewal period: a fifth of the lease, 100 ms to 1 s. */
  pulseMs: number;
}

/** Reads the election settings; throws with the variable's name when one is malformed. */
export function loadLeadershipConfig(config: CoordinatorConfig, env: NodeJS.ProcessEnv = process.env): LeadershipConfig {
  const leaseMs = int(env, 'SHOAL_LEADER_LEASE_MS', 5000, 500, 600_000);
  const pulseMs = Math.max(100, Math.min(1000, Math.floor(leaseMs / 5)));
  const id = env.SHOAL_COORDINATOR_ID?.trim();
  if (id !== undefined && id !== '' && !/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(id)) throw new Error(`SHOAL_COORDINATOR_ID=${id}: must be 1 to 128 letters, digits or . _ : @ -`);
  const https = !!(config.security.tlsCert && config.security.tlsKey);
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? hostname() : config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    coordinatorId: id || `${hostname()}:${config.port || `any-${randomBytes(4).toString('hex')}`}`,
    url: config.security.publicUrl ?? `${https ? 'https' : 'http'}://${host}:${config.port}`,
    leaseMs,
    pulseMs,
  };
}
