import { decodeMaxDeliveriesAdvisory, MaxDeliveriesAdvisory } from './advisories.js';
import { DecodeError } from './errors.js';
import { refusal as refusalBy } from './schema-issues.spec-support.js';

const TYPE = 'io.nats.jetstream.advisory.v1.max_deliver';

function advisory(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: TYPE, stream: 'SHOAL_WORK', consumer: 'node-a', stream_seq: 42, deliveries: 5, ...over };
}

function bytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** Each issue of a refused value as `path: message`. */
const refusal = (value: unknown): string[] => refusalBy(MaxDeliveriesAdvisory, value);

describe('MaxDeliveriesAdvisory schema', () => {
  it('decodes a valid advisory to exactly its fields, dropping the ones Shoal does not read', () => {
    const value = { ...advisory(), id: 'abc', timestamp: '2024-01-01T00:00:00Z', domain: 'hub' };
    expect(MaxDeliveriesAdvisory.parse(value)).toEqual({ type: TYPE, stream: 'SHOAL_WORK', consumer: 'node-a', stream_seq: 42, deliveries: 5 });
  });

  it('accepts only the max_deliver type', () => {
    expect(refusal(advisory({ type: 'io.nats.jetstream.advisory.v1.max_deliver ' }))).toEqual([`type: Invalid input: expected "${TYPE}"`]);
    expect(refusal(advisory({ type: 'io.nats.jetstream.advisory.v1.terminated' }))).toEqual([`type: Invalid input: expected "${TYPE}"`]);
    expect(refusal(advisory({ type: '' }))).toEqual([`type: Invalid input: expected "${TYPE}"`]);
  });

  it('bounds stream at 1..256 characters', () => {
    expect(MaxDeliveriesAdvisory.parse(advisory({ stream: 'S' })).stream).toBe('S');
    expect(MaxDeliveriesAdvisory.parse(advisory({ stream: 's'.repeat(256) })).stream).toBe('s'.repeat(256));
    expect(refusal(advisory({ stream: '' }))).toEqual(['stream: Too small: expected string to have >=1 characters']);
    expect(refusal(advisory({ stream: 's'.repeat(257) }))).toEqual(['stream: Too big: expected string to have <=256 characters']);
  });

  it('bounds consumer at 1..256 characters', () => {
    expect(MaxDeliveriesAdvisory.parse(advisory({ consumer: 'c' })).consumer).toBe('c');
    expect(MaxDeliveriesAdvisory.parse(advisory({ consumer: 'c'.repeat(256) })).consumer).toBe('c'.repeat(256));
    expect(refusal(advisory({ consumer: '' }))).toEqual(['consumer: Too small: expected string to have >=1 characters']);
    expect(refusal(advisory({ consumer: 'c'.repeat(257) }))).toEqual(['consumer: Too big: expected string to have <=256 characters']);
  });

  it('wants stream_seq a positive integer', () => {
    expect(MaxDeliveriesAdvisory.parse(advisory({ stream_seq: 1 })).stream_seq).toBe(1);
    expect(refusal(advisory({ stream_seq: 0 }))).toEqual(['stream_seq: Too small: expected number to be >0']);
    expect(refusal(advisory({ stream_seq: -1 }))).toEqual(['stream_seq: Too small: expected number to be >0']);
    expect(refusal(advisory({ stream_seq: 1.5 }))).toEqual(['stream_seq: Invalid input: expected int, received number']);
    expect(refusal(advisory({ stream_seq: '1' }))).toEqual(['stream_seq: Invalid input: expected number, received string']);
  });

  it('wants deliveries a non-negative integer', () => {
    expect(MaxDeliveriesAdvisory.parse(advisory({ deliveries: 0 })).deliveries).toBe(0);
    expect(MaxDeliveriesAdvisory.parse(advisory({ deliveries: 1 })).deliveries).toBe(1);
    expect(refusal(advisory({ deliveries: -1 }))).toEqual(['deliveries: Too small: expected number to be >=0']);
    expect(refusal(advisory({ deliveries: 1.5 }))).toEqual(['deliveries: Invalid input: expected int, received number']);
  });

  it.each(['type', 'stream', 'consumer', 'stream_seq', 'deliveries'])('requires %p', (field) => {
    const value = advisory();
    delete value[field];
    const issues = refusal(value);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^${field}: Invalid input: expected`));
  });
});

describe('decodeMaxDeliveriesAdvisory', () => {
  it('decodes a valid advisory body', () => {
    const r = decodeMaxDeliveriesAdvisory(bytes({ ...advisory(), extra: true }));
    expect(r).toEqual({ ok: true, value: { type: TYPE, stream: 'SHOAL_WORK', consumer: 'node-a', stream_seq: 42, deliveries: 5 } });
  });

  it('accepts a body of exactly 16 KiB and refuses one byte more', () => {
    const body = JSON.stringify(advisory());
    const at = new TextEncoder().encode(body.padEnd(16 * 1024, ' '));
    expect(at.byteLength).toBe(16384);
    const ok = decodeMaxDeliveriesAdvisory(at);
    expect(ok.ok).toBe(true);
    const over = new TextEncoder().encode(body.padEnd(16 * 1024 + 1, ' '));
    const r = decodeMaxDeliveriesAdvisory(over);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(DecodeError);
    expect(r.error.message).toBe('advisory of 16385 bytes exceeds 16384');
    expect(r.error.issues).toEqual([]);
    expect(r.error.cause).toBeUndefined();
  });

  it('refuses a body that is not JSON, keeping the parse error as cause', () => {
    const r = decodeMaxDeliveriesAdvisory(new TextEncoder().encode('{"type":'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(DecodeError);
    expect(r.error.message).toBe('advisory is not valid UTF-8 JSON');
    expect(r.error.issues).toEqual([]);
    expect((r.error.cause as Error).name).toBe('SyntaxError');
  });

  it('refuses invalid UTF-8 even inside an otherwise valid advisory', () => {
    const head = new TextEncoder().encode(`{"type":"${TYPE}","stream":"S`);
    const tail = new TextEncoder().encode('","consumer":"c","stream_seq":1,"deliveries":1}');
    const data = new Uint8Array([...head, 0xff, ...tail]);
    const r = decodeMaxDeliveriesAdvisory(data);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toBe('advisory is not valid UTF-8 JSON');
    expect((r.error.cause as Error).name).toBe('TypeError');
    expect((r.error.cause as { code?: string }).code).toBe('ERR_ENCODING_INVALID_ENCODED_DATA');
  });

  it('decodes multi-byte UTF-8 text', () => {
    const r = decodeMaxDeliveriesAdvisory(bytes(advisory({ consumer: 'nœud-é' })));
    expect(r.ok && r.value.consumer).toBe('nœud-é');
  });

  it('refuses an empty body', () => {
    const r = decodeMaxDeliveriesAdvisory(new Uint8Array(0));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toBe('advisory is not valid UTF-8 JSON');
  });

  it('refuses a body that breaks the schema, listing each issue with its path', () => {
    const r = decodeMaxDeliveriesAdvisory(bytes(advisory({ stream_seq: 0, consumer: '' })));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(DecodeError);
    expect(r.error.issues).toEqual([
      { path: 'consumer', message: 'Too small: expected string to have >=1 characters' },
      { path: 'stream_seq', message: 'Too small: expected number to be >0' },
    ]);
    expect(r.error.message).toBe(
      'invalid max-deliveries advisory: consumer: Too small: expected string to have >=1 characters\nstream_seq: Too small: expected number to be >0',
    );
    expect(r.error.cause).toBeUndefined();
  });

  it('refuses JSON that is not an object at the root', () => {
    const r = decodeMaxDeliveriesAdvisory(bytes(null));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toBe('invalid max-deliveries advisory: (root): Invalid input: expected object, received null');
  });

  it('names a missing field as required', () => {
    const value = advisory();
    delete value.deliveries;
    const r = decodeMaxDeliveriesAdvisory(bytes(value));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.issues).toEqual([{ path: 'deliveries', message: 'is required (number)' }]);
  });
});
