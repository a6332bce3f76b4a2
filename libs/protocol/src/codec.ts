import { DecodeError } from './errors.js';
import { zodIssues } from './plan-loader.js';
import { type PayloadOf, SUBJECT_SCHEMAS, type SubjectKind } from './subjects.js';

/** Largest message body accepted, in bytes. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Outcome of decoding: the typed payload, or a DecodeError saying what was wrong. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

/**
 * Decodes bytes received on a subject of the given kind. Never throws: malformed JSON,
 * oversized bodies, forbidden keys, wrong versions and schema violations come back as errors.
 */
export function decode<K extends SubjectKind>(kind: K, data: Uint8Array): Decoded<PayloadOf<K>> {
  if (data.byteLength > MAX_MESSAGE_BYTES) {
    return fail(`message of ${data.byteLength} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data), (key, value: unknown) => {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new DecodeError(`forbidden key "${key}"`);
      return value;
    });
  } catch (e) {
    return { ok: false, error: e instanceof DecodeError ? e : new DecodeError('not valid UTF-8 JSON', [], { cause: e }) };
  }
  const parsed = SUBJECT_SCHEMAS[kind].safeParse(json, { reportInput: true });
  if (!parsed.success) return fail(`invalid ${kind} message`, zodIssues(parsed.error));
  return { ok: true, value: parsed.data as PayloadOf<K> };
}

/** Encodes a payload for a subject kind, validating it first so a bad message never leaves. */
export function encode<K extends SubjectKind>(kind: K, payload: PayloadOf<K>): Uint8Array {
  const parsed = SUBJECT_SCHEMAS[kind].safeParse(payload, { reportInput: true });
  if (!parsed.success) throw new DecodeError(`refusing to send an invalid ${kind} message`, zodIssues(parsed.error));
  return encoder.encode(JSON.stringify(parsed.data));
}

function fail(message: string, issues: import('./errors.js').FieldIssue[] = []): { ok: false; error: DecodeError } {
  return { ok: false, error: new DecodeError(message, issues) };
}
