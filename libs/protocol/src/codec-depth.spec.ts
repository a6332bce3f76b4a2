/**
 * The decoder's nesting pre-check at exactly its limit, and siblings that must not add up
 * (issue 15: a `>` turned `>=`, or a closing bracket that no longer lowers the depth, must fail).
 */
import { MAX_MESSAGE_DEPTH, decode } from './codec.js';
import { bytes, sampleHeartbeat } from './messages.spec-support.js';

const heartbeat = sampleHeartbeat;
const messageOf = (text: string) => {
  const d = decode('heartbeat', bytes(text));
  if (d.ok) throw new Error('expected a refusal');
  return d.error.message;
};

describe('decode: the nesting limit, exactly', () => {
  it(`${MAX_MESSAGE_DEPTH} levels reach the schema (which refuses the shape), ${MAX_MESSAGE_DEPTH + 1} are refused before parsing`, () => {
    const nested = (levels: number) => `{"labels":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    expect(messageOf(nested(MAX_MESSAGE_DEPTH))).toMatch(/^invalid heartbeat message/);
    expect(messageOf(nested(MAX_MESSAGE_DEPTH + 1))).toBe(`nested deeper than ${MAX_MESSAGE_DEPTH} levels`);
  });

  it('closing brackets lower the depth: many sibling objects and arrays are fine', () => {
    const running = Array.from({ length: 40 }, (_, i) => ({ runId: 'r', taskId: `t${i}`, attempt: 1, cpuPercent: 1 }));
    const msg = { ...heartbeat, running, labels: { a: '[[[[', b: ']]]]' } };
    expect(decode('heartbeat', bytes(JSON.stringify(msg)))).toEqual({ ok: true, value: msg });
  });

  it('closing square brackets lower the depth too: 20 sibling arrays reach the schema', () => {
    const labels = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, []]));
    expect(messageOf(JSON.stringify({ ...heartbeat, labels }))).toMatch(/^invalid heartbeat message/);
  });

  it('an escaped quote does not end a string: the brackets after it are text', () => {
    const msg = { ...heartbeat, hostname: `a"${'['.repeat(20)}` };
    expect(decode('heartbeat', bytes(JSON.stringify(msg)))).toEqual({ ok: true, value: msg });
  });
});

describe('decode: malformed JSON', () => {
  it('keeps the parser error as the cause', () => {
    const d = decode('heartbeat', bytes('{"v":1,'));
    if (d.ok) throw new Error('expected a refusal');
    expect(d.error.message).toBe('not valid UTF-8 JSON');
    expect(d.error.cause).toBeInstanceOf(SyntaxError);
  });
});
