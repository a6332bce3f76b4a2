import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { LEADER_KEY, LeaderLease } from '@shoal/protocol';
import type { Observation, Step, WriteResult } from './election.js';

/** Reads and writes the lease key of the leader bucket: the election's only I/O. */
export class LeaseStore {
  constructor(private readonly bucket: () => Promise<KV>) {}

  /** The lease as stored now; a malformed value is reported as an error (never taken over blindly). */
  async read(): Promise<Observation> {
    try {
      const e = await (await this.bucket()).get(LEADER_KEY);
      if (!e || e.operation !== 'PUT') return { kind: 'absent' };
      const parsed = LeaderLease.safeParse(e.json());
      if (!parsed.success) return { kind: 'error', message: `the lease value at revision ${e.revision} is malformed: ${parsed.error.message}` };
      return { kind: 'lease', lease: parsed.data, revision: e.revision };
    } catch (e) {
      return { kind: 'error', message: (e as Error).message };
    }
  }

  /** Create-if-absent or compare-and-swap, as the step says. */
  async write(step: Exclude<Step, { kind: 'wait' }>): Promise<WriteResult> {
    try {
      const kv = await this.bucket();
      const data = JSON.stringify(step.lease);
      const revision = step.kind === 'create' ? await kv.create(LEADER_KEY, data) : await kv.update(LEADER_KEY, data, step.revision);
      return { kind: 'ok', revision };
    } catch (e) {
      if (isWrongLastSequence(e)) return { kind: 'conflict' };
      return { kind: 'error', message: (e as Error).message };
    }
  }
}

/** JetStream refused a write because the key moved past the expected revision. */
export function isWrongLastSequence(e: unknown): boolean {
  if (!(e instanceof JetStreamApiError)) return /wrong last sequence/i.test((e as Error)?.message ?? '');
  return e.code === JetStreamApiCodes.StreamWrongLastSequence || e.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown;
}
