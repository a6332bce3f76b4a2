import { z } from 'zod';
import { DecodeError } from './errors.js';
import { zodIssues } from './plan-loader.js';

/**
 * JetStream's advisory that a consumer gave up on a message after `max_deliver` deliveries
 * (`io.nats.jetstream.advisory.v1.max_deliver`, published by the server on
 * `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>`). Only the fields Shoal reads.
 */
export const MaxDeliveriesAdvisory = z.object({
  type: z.literal('io.nats.jetstream.advisory.v1.max_deliver'),
  stream: z.string().min(1).max(256),
  consumer: z.string().min(1).max(256),
  stream_seq: z.number().int().positive(),
  deliveries: z.number().int().nonnegative(),
});
/** A decoded max-deliveries advisory. */
export type MaxDeliveriesAdvisory = z.infer<typeof MaxDeliveriesAdvisory>;

/** Largest advisory body accepted (they are a few hundred bytes). */
const MAX_ADVISORY_BYTES = 16 * 1024;

/** Decodes a max-deliveries advisory; never throws. */
export function decodeMaxDeliveriesAdvisory(data: Uint8Array): { ok: true; value: MaxDeliveriesAdvisory } | { ok: false; error: DecodeError } {
  if (data.byteLength > MAX_ADVISORY_BYTES) return { ok: false, error: new DecodeError(`advisory of ${data.byteLength} bytes exceeds ${MAX_ADVISORY_BYTES}`) };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch (e) {
    return { ok: false, error: new DecodeError('advisory is not valid UTF-8 JSON', [], { cause: e }) };
  }
  const parsed = MaxDeliveriesAdvisory.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: new DecodeError('invalid max-deliveries advisory', zodIssues(parsed.error)) };
}
