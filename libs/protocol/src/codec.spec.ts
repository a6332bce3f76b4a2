import fc from 'fast-check';
import { MAX_MESSAGE_BYTES, type Decoded, decode, encode } from './codec.js';
import { DecodeError } from './errors.js';
import { PROTOCOL_VERSION } from './messages.js';
import { SUBJECT_SCHEMAS, type PayloadOf, type SubjectKind } from './subjects.js';

/** fast-check seed: fixed so a failure reproduces; printed in the describe name (FC_SEED overrides it). */
const SEED = Number(process.env.FC_SEED ?? 20261129);

const ref = { runId: 'run-1', taskId: 'build', attempt: 1 };

const dispatched: PayloadOf<'work'> = {
  v: 1,
  kind: 'task.dispatched',
  ...ref,
  phaseId: 'one',
  nodeId: 'node-a',
  team: 'fe',
  role: 'Frontend-Dev',
  command: ['npm', 'test'],
  cwd: '/srv',
  env: { MODE: 'ci' },
  cpuPercent: 50,
  memoryMb: 512,
  timeoutMs: 60_000,
  priority: 0,
  dispatchedAt: 1_700_000_000_000,
};
const started: PayloadOf<'status'> = { v: 1, kind: 'task.started', ...ref, nodeId: 'node-a', startedAt: 1, session: 'Task-fe', window: 'Frontend-Dev', pid: 4242 };
const finished: PayloadOf<'status'> = { v: 1, kind: 'task.finished', ...ref, nodeId: 'node-a', outcome: 'failed', exitCode: 1, finishedAt: 2, outputTail: 'boom\n' };
const heartbeat: PayloadOf<'heartbeat'> = {
  v: 1,
  kind: 'node.heartbeat',
  nodeId: 'node-a',
  hostname: 'Node-A.local',
  sentAt: 10,
  startedAt: 1,
  pulseMs: 2500,
  labels: { zone: 'a' },
  governor: 'cgroup-v1',
  capacity: { cpuPercent: 200, memoryMb: 4096, maxTasks: 8 },
  host: { cpuPercent: 12.5, memUsedMb: 1000, memTotalMb: 4096, load1: 0.3, cores: 2 },
  warm: { ready: 1, size: 2 },
  running: [{ ...ref, cpuPercent: 3, rssMb: 40 }],
};
const cancel: PayloadOf<'control'> = { v: 1, action: 'cancel', ...ref, reason: 'operator' };
const output: PayloadOf<'output'> = { v: 1, kind: 'task.output', ...ref, nodeId: 'node-a', seq: 0, text: 'hello ✓\n' };
const submitted: PayloadOf<'events'> = { v: 1, kind: 'run.submitted', runId: 'run-1', plan: 'demo', submittedAt: 5, tasks: 3 };
const reply: PayloadOf<'controlReply'> = { v: 1, ok: true, message: 'cancelled', affected: 1 };

const GOOD: Array<[SubjectKind, object]> = [
  ['work', dispatched],
  ['status', started],
  ['status', finished],
  ['status', { ...finished, outcome: 'succeeded', exitCode: 0, signal: undefined, startedAt: 1 }],
  ['status', { ...finished, outcome: 'timed-out', exitCode: null, signal: 'SIGKILL' }],
  ['heartbeat', heartbeat],
  ['control', cancel],
  ['control', { v: 1, action: 'stop-all' }],
  ['control', { v: 1, action: 'emergency-cleanup' }],
  ['control', { v: 1, action: 'ping' }],
  ['controlReply', reply],
  ['output', output],
  ['events', submitted],
];

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function errorOf<T>(d: Decoded<T>): DecodeError {
  if (d.ok) throw new Error(`expected a decode error, got ${JSON.stringify(d.value)}`);
  expect(d.error).toBeInstanceOf(DecodeError);
  expect(d.error.code).toBe('E_DECODE');
  expect(d.error.retryable).toBe(false);
  return d.error;
}

describe('decode: good messages', () => {
  it.each(GOOD)('decodes a good %s message', (kind, msg) => {
    const d = decode(kind, bytes(msg));
    expect(d).toEqual({ ok: true, value: JSON.parse(JSON.stringify(msg)) });
  });

  it('narrows the status union on kind', () => {
    const d = decode('status', bytes(finished));
    if (!d.ok || d.value.kind !== 'task.finished') throw new Error('expected task.finished');
    expect(d.value.outcome).toBe('failed');
    expect(d.value.exitCode).toBe(1);
  });
});

describe('decode: bad messages', () => {
  it.each(['{', 'null x', '', 'undefined', "{'single': 1}", '[1,]'])('refuses malformed JSON %p', (s) => {
    expect(errorOf(decode('work', text(s))).message).toBe('not valid UTF-8 JSON');
  });

  it('refuses invalid UTF-8 even inside an otherwise valid message', () => {
    const good = bytes(output);
    const bad = new Uint8Array([...good.slice(0, 40), 0xff, 0xfe, ...good.slice(40)]);
    const err = errorOf(decode('output', bad));
    expect(err.message).toBe('not valid UTF-8 JSON');
    expect((err.cause as Error).name).toBe('TypeError');
    expect(errorOf(decode('output', new Uint8Array([0xc3, 0x28]))).message).toBe('not valid UTF-8 JSON');
  });

  it('refuses oversized messages before parsing them', () => {
    const big = new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(0x20);
    expect(errorOf(decode('heartbeat', big)).message).toBe(`message of ${MAX_MESSAGE_BYTES + 1} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  });

  it('accepts a message of exactly the maximum size if it is valid', () => {
    const padded = new Uint8Array(MAX_MESSAGE_BYTES).fill(0x20);
    padded.set(bytes(output));
    expect(decode('output', padded).ok).toBe(true);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s at any depth without polluting prototypes', (key) => {
    const top = `{"${key}":{"polluted":true},${JSON.stringify(heartbeat).slice(1)}`;
    expect(errorOf(decode('heartbeat', text(top))).message).toBe(`forbidden key "${key}"`);
    const nested = JSON.stringify(heartbeat).replace('"zone":"a"', `"${key}":{"polluted":true}`);
    expect(errorOf(decode('heartbeat', text(nested))).message).toBe(`forbidden key "${key}"`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(GOOD)('refuses a %s message with the wrong protocol version', (kind, msg) => {
    for (const v of [2, 0, '1', null]) {
      const err = errorOf(decode(kind, bytes({ ...msg, v })));
      expect(err.issues).toContainEqual({ path: 'v', message: `unsupported protocol version (this build speaks ${PROTOCOL_VERSION})` });
    }
    const { v: _v, ...noVersion } = msg as { v: number };
    expect(errorOf(decode(kind, bytes(noVersion))).issues).toContainEqual({ path: 'v', message: expect.any(String) });
  });

  it.each(GOOD)('refuses a %s message with an extra field', (kind, msg) => {
    const err = errorOf(decode(kind, bytes({ ...msg, sneaky: 1 })));
    expect(err.issues).toEqual([{ path: '', message: 'unknown field(s): sneaky' }]);
  });

  it.each([
    ['work', 'command', dispatched],
    ['work', 'nodeId', dispatched],
    ['status', 'startedAt', started],
    ['status', 'outcome', finished],
    ['status', 'exitCode', finished],
    ['heartbeat', 'capacity', heartbeat],
    ['control', 'attempt', cancel],
    ['output', 'seq', output],
  ] as Array<[SubjectKind, string, object]>)('refuses a %s message without %s, naming the field', (kind, field, msg) => {
    const copy: Record<string, unknown> = { ...msg };
    delete copy[field];
    const err = errorOf(decode(kind, bytes(copy)));
    expect(err.message).toMatch(new RegExp(`^invalid ${kind} message: `));
    expect(err.issues).toContainEqual({ path: field, message: expect.stringMatching(/is required|Invalid option: expected one of/) });
  });

  it('refuses bad field values with their paths', () => {
    expect(errorOf(decode('work', bytes({ ...dispatched, command: [] }))).issues.map((i) => i.path)).toEqual(['command']);
    expect(errorOf(decode('work', bytes({ ...dispatched, runId: 'Run.1' }))).issues.map((i) => i.path)).toEqual(['runId']);
    expect(errorOf(decode('work', bytes({ ...dispatched, attempt: 0 }))).issues.map((i) => i.path)).toEqual(['attempt']);
    expect(errorOf(decode('status', bytes({ ...finished, outcome: 'exploded' }))).issues.map((i) => i.path)).toEqual(['outcome']);
    expect(errorOf(decode('heartbeat', bytes({ ...heartbeat, host: { ...heartbeat.host, cpuPercent: 101 } }))).issues.map((i) => i.path)).toEqual(['host.cpuPercent']);
    expect(errorOf(decode('heartbeat', bytes({ ...heartbeat, running: [{ ...ref, attempt: -1 }] }))).issues.map((i) => i.path)).toEqual(['running[0].attempt']);
    expect(errorOf(decode('output', bytes({ ...output, text: 'x'.repeat(64 * 1024 + 1) }))).issues.map((i) => i.path)).toEqual(['text']);
  });

  it('refuses status messages of an unknown kind and control requests of an unknown action', () => {
    expect(decode('status', bytes({ ...started, kind: 'task.exploded' })).ok).toBe(false);
    expect(decode('status', bytes(heartbeat)).ok).toBe(false);
    expect(decode('control', bytes({ v: 1, action: 'rm-rf' })).ok).toBe(false);
    expect(decode('control', bytes({ v: 1, action: 'ping', extra: true })).ok).toBe(false);
    expect(decode('control', bytes({ v: 1, action: 'cancel' })).ok).toBe(false);
  });

  it.each([['null'], ['42'], ['"text"'], ['[]'], ['true']])('refuses a non-object body %s', (body) => {
    expect(errorOf(decode('work', text(body))).message).toMatch(/^invalid work message/);
  });

  it('refuses a message sent on the wrong subject kind', () => {
    expect(decode('work', bytes(started)).ok).toBe(false);
    expect(decode('output', bytes(dispatched)).ok).toBe(false);
  });
});

describe('encode', () => {
  it.each(GOOD)('round-trips a %s message', (kind, msg) => {
    const d = decode(kind, encode(kind, msg as never));
    expect(d).toEqual({ ok: true, value: JSON.parse(JSON.stringify(msg)) });
  });

  it('refuses invalid payloads with a DecodeError listing the problems', () => {
    let caught: unknown;
    try {
      encode('work', { ...dispatched, command: [], cpuPercent: 0 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DecodeError);
    expect((caught as DecodeError).message).toMatch(/^refusing to send an invalid work message/);
    expect((caught as DecodeError).issues.map((i) => i.path).sort()).toEqual(['command', 'cpuPercent']);
    expect(() => encode('status', { ...finished, v: 2 } as never)).toThrow(DecodeError);
    expect(() => encode('output', { ...output, extra: 1 } as never)).toThrow(/unknown field\(s\): extra/);
  });
});

describe(`decode never throws (fast-check seed ${SEED})`, () => {
  const kinds = Object.keys(SUBJECT_SCHEMAS) as SubjectKind[];

  it('on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.uint8Array({ maxLength: 512 }), (kind, data) => {
        const d = decode(kind, data);
        if (!d.ok) expect(d.error).toBeInstanceOf(DecodeError);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it('on arbitrary JSON values, and accepts only what the schema accepts', () => {
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.jsonValue({ maxDepth: 6 }), (kind, value) => {
        const d = decode(kind, bytes(value));
        expect(d.ok).toBe(SUBJECT_SCHEMAS[kind].safeParse(value).success);
        if (!d.ok) expect(d.error).toBeInstanceOf(DecodeError);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it('on mutations of good messages (fields dropped, replaced or added)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...GOOD), fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), fc.boolean(), ([kind, msg], key, value, drop) => {
        const copy: Record<string, unknown> = { ...msg };
        const keys = Object.keys(copy);
        const target = keys.includes(key) ? key : keys[key.length % keys.length]!;
        if (drop) delete copy[target];
        else copy[key] = value;
        const d = decode(kind, bytes(copy));
        if (!d.ok) expect(d.error).toBeInstanceOf(DecodeError);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it('on deeply nested JSON', () => {
    const deep = text('['.repeat(100_000) + ']'.repeat(100_000));
    expect(decode('work', deep).ok).toBe(false);
  });
});
