import { DecodeError, type FieldIssue } from './errors.js';
import { zodIssues } from './plan-loader.js';
import { type PayloadOf, SUBJECT_SCHEMAS, type SubjectKind } from './subjects.js';

/** Largest message body accepted, in bytes. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Deepest nesting of arrays and objects accepted in a message (the deepest message nests 4). */
export const MAX_MESSAGE_DEPTH = 16;
/** Problems listed in a DecodeError (the rest are counted): a poison message must not make a huge log line. */
const MAX_DECODE_ISSUES = 10;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Outcome of decoding: the typed payload, or a DecodeError saying what was wrong. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

/**
 * Decodes bytes received on a subject of the given kind. Never throws: malformed JSON,
 * oversized bodies, deep nesting, forbidden keys, wrong versions and schema violations come back
 * as errors. Cost is bounded before the schema runs: size first, then one pass for the nesting
 * depth, then `JSON.parse` (with a key-checking reviver only when the text could hold a
 * forbidden key: one spelled out, or any `\u` escape).
 */
export function decode<K extends SubjectKind>(kind: K, data: Uint8Array): Decoded<PayloadOf<K>> {
  if (data.byteLength > MAX_MESSAGE_BYTES) {
    return fail(`message of ${data.byteLength} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  }
  let text: string;
  try {
    text = decoder.decode(data);
  } catch (e) {
    return { ok: false, error: new DecodeError('not valid UTF-8 JSON', [], { cause: e }) };
  }
  if (jsonDepth(text) > MAX_MESSAGE_DEPTH) return fail(`nested deeper than ${MAX_MESSAGE_DEPTH} levels`);
  let json: unknown;
  try {
    json = mayHoldForbiddenKey(text)
      ? JSON.parse(text, (key, value: unknown) => {
          if (FORBIDDEN_KEYS.has(key)) throw new DecodeError(`forbidden key "${key}"`);
          return value;
        })
      : JSON.parse(text);
  } catch (e) {
    return { ok: false, error: e instanceof DecodeError ? e : new DecodeError('not valid UTF-8 JSON', [], { cause: e }) };
  }
  const parsed = SUBJECT_SCHEMAS[kind].safeParse(json);
  if (!parsed.success) return fail(`invalid ${kind} message`, zodIssues(parsed.error, MAX_DECODE_ISSUES));
  return { ok: true, value: parsed.data as PayloadOf<K> };
}

/** Encodes a payload for a subject kind, validating it first so a bad message never leaves. */
export function encode<K extends SubjectKind>(kind: K, payload: PayloadOf<K>): Uint8Array {
  const parsed = SUBJECT_SCHEMAS[kind].safeParse(payload, { reportInput: true });
  if (!parsed.success) throw new DecodeError(`refusing to send an invalid ${kind} message`, zodIssues(parsed.error));
  return encoder.encode(JSON.stringify(parsed.data));
}

/** Deepest nesting of `[`/`{` outside strings, in one pass (stops counting past the limit). */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > max && (max = depth) > MAX_MESSAGE_DEPTH) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x22) for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
  }
  return max;
}

function mayHoldForbiddenKey(text: string): boolean {
  return text.includes('\\u') || text.includes('__proto__') || text.includes('constructor') || text.includes('prototype');
}

function fail(message: string, issues: FieldIssue[] = []): { ok: false; error: DecodeError } {
  return { ok: false, error: new DecodeError(message, issues) };
}
