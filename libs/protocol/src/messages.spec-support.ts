import type { PayloadOf } from './subjects.js';

/** UTF-8 bytes of a message text, as it arrives on the bus. */
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A valid heartbeat of node `node-a` (specs spread over it what they vary). */
export const sampleHeartbeat: PayloadOf<'heartbeat'> = {
  v: 1,
  kind: 'node.heartbeat',
  nodeId: 'node-a',
  hostname: 'a',
  sentAt: 10,
  startedAt: 1,
  pulseMs: 2500,
  labels: { zone: 'a' },
  governor: 'none',
  capacity: { cpuPercent: 200, memoryMb: 4096, maxTasks: 8 },
  host: { cpuPercent: 1, memUsedMb: 1, memTotalMb: 4096, load1: 0, cores: 2 },
  running: [],
};
