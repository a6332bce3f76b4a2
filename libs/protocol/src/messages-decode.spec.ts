/**
 * Wire messages that no test decoded before mutation testing asked (issue 15): every attempt
 * outcome, including `lost` and `rejected`, and the autoscaler's ScaleDecided.
 */
import { type Decoded, decode, encode } from './codec.js';
import type { DecodeError } from './errors.js';
import type { PayloadOf } from './subjects.js';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
function errorOf<T>(d: Decoded<T>): DecodeError {
  if (d.ok) throw new Error(`expected a decode error, got ${JSON.stringify(d.value)}`);
  return d.error;
}

const finished = { v: 1, kind: 'task.finished', runId: 'run-1', taskId: 'build', attempt: 2, nodeId: 'node-a', exitCode: null, finishedAt: 2, outputTail: '' } as const;

describe('TaskFinished outcomes', () => {
  it.each(['succeeded', 'failed', 'timed-out', 'cancelled', 'lost', 'rejected'])('decodes outcome %s', (outcome) => {
    const d = decode('status', bytes({ ...finished, outcome }));
    expect(d).toEqual({ ok: true, value: { ...finished, outcome } });
  });

  it('a lost attempt carries why, with no exit code', () => {
    const msg = { ...finished, outcome: 'lost', reason: 'node node-a gave the attempt up while cut off (stop_after)' };
    const d = decode('status', bytes(msg));
    if (!d.ok || d.value.kind !== 'task.finished') throw new Error('expected task.finished');
    expect(d.value).toMatchObject({ outcome: 'lost', exitCode: null, reason: msg.reason });
  });

  it('a rejected attempt round-trips through encode', () => {
    const msg: PayloadOf<'status'> = { ...finished, outcome: 'rejected', reason: 'command not found: codex' };
    expect(decode('status', encode('status', msg))).toEqual({ ok: true, value: msg });
  });

  it.each(['Lost', 'reject', 'lost ', 'unknown', ''])('refuses outcome %p, naming the field', (outcome) => {
    expect(errorOf(decode('status', bytes({ ...finished, outcome }))).issues.map((i) => i.path)).toEqual(['outcome']);
  });
});

describe('ScaleDecided', () => {
  const scale: PayloadOf<'scale'> = {
    v: 1,
    kind: 'scale.decided',
    current: 2,
    desired: 4,
    direction: 'up',
    reasons: ['queue of 40 tasks, oldest waiting 95 s', 'fleet at 91% CPU'],
    queueDepth: 40,
    oldestWaitMs: 95_000,
    cpuUtilisation: 0.91,
    expectedTaskMs: 120_000,
    decidedAt: 1_700_000_000_000,
  };

  it.each(['up', 'down', 'hold'])('decodes a decision to scale %s', (direction) => {
    expect(decode('scale', bytes({ ...scale, direction }))).toEqual({ ok: true, value: { ...scale, direction } });
  });

  it('round-trips through encode', () => {
    expect(decode('scale', encode('scale', scale))).toEqual({ ok: true, value: scale });
  });

  it.each([
    ['direction', { direction: 'sideways' }],
    ['kind', { kind: 'scale.decide' }],
    ['current', { current: -1 }],
    ['desired', { desired: 1.5 }],
    ['queueDepth', { queueDepth: -3 }],
    ['oldestWaitMs', { oldestWaitMs: -1 }],
    ['cpuUtilisation', { cpuUtilisation: -0.1 }],
    ['expectedTaskMs', { expectedTaskMs: -5 }],
    ['reasons', { reasons: Array.from({ length: 21 }, (_, i) => `r${i}`) }],
    ['reasons[0]', { reasons: ['x'.repeat(2001)] }],
  ])('refuses a bad %s', (path, patch) => {
    const err = errorOf(decode('scale', bytes({ ...scale, ...patch })));
    expect(err.message).toMatch(/^invalid scale message/);
    expect(err.issues.map((i) => i.path)).toEqual([path]);
  });

  it('refuses a ScaleDecided without its reasons, and with an extra field', () => {
    const { reasons: _r, ...noReasons } = scale;
    expect(errorOf(decode('scale', bytes(noReasons))).issues).toEqual([{ path: 'reasons', message: 'is required (array)' }]);
    expect(errorOf(decode('scale', bytes({ ...scale, replicas: 3 }))).issues).toEqual([{ path: '', message: 'unknown field(s): replicas' }]);
  });
});
