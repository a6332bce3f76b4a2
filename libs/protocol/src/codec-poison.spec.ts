import { MAX_MESSAGE_DEPTH, decode, encode } from './codec.js';
import { bytes, sampleHeartbeat } from './messages.spec-support.js';

const heartbeat = sampleHeartbeat;
const errorOf = (text: string) => {
  const d = decode('heartbeat', bytes(text));
  if (d.ok) throw new Error('expected a refusal');
  return d.error;
};

describe('decode: poison messages are refused cheaply', () => {
  it(`refuses nesting deeper than ${MAX_MESSAGE_DEPTH} levels before parsing, within the size limit`, () => {
    expect(errorOf('{"a":'.repeat(40_000) + '1' + '}'.repeat(40_000)).message).toBe(`nested deeper than ${MAX_MESSAGE_DEPTH} levels`);
    expect(errorOf(`{"labels":${'['.repeat(17)}${']'.repeat(17)}}`).message).toBe(`nested deeper than ${MAX_MESSAGE_DEPTH} levels`);
  });

  it('does not count brackets inside strings as nesting', () => {
    const d = decode('heartbeat', bytes(JSON.stringify({ ...heartbeat, hostname: '['.repeat(100) + '\\"{' })));
    expect(d.ok).toBe(true);
  });

  it('refuses a forbidden key even when it is spelled with escapes', () => {
    const text = JSON.stringify(heartbeat).replace('"zone":"a"', '"\\u005f_proto__":{"polluted":true}');
    expect(errorOf(text).message).toBe('forbidden key "__proto__"');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('words a message with many problems in a few lines', () => {
    const bad = { ...heartbeat, labels: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i])) };
    const e = errorOf(JSON.stringify(bad));
    expect(e.issues).toHaveLength(11);
    expect(e.issues[10]!.message).toBe('and 490 more problem(s): only the first 10 are listed');
    expect(e.message.length).toBeLessThan(2000);
  });

  it('still reads every good message (no forbidden word: the fast parse; with one in a value: the checked parse)', () => {
    expect(decode('heartbeat', encode('heartbeat', heartbeat))).toEqual({ ok: true, value: heartbeat });
    const withWord = { ...heartbeat, hostname: 'constructor-prototype' };
    expect(decode('heartbeat', encode('heartbeat', withWord))).toEqual({ ok: true, value: withWord });
  });
});
