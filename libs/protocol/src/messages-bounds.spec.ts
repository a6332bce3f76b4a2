/**
 * Wire message values at their edges and every value of each enumeration (issue 15: a bound or
 * an enumeration member of messages.ts dropped or flipped must fail a test).
 */
import { decode } from './codec.js';
import type { SubjectKind } from './subjects.js';
import { sampleHeartbeat } from './messages.spec-support.js';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const ok = (kind: SubjectKind, msg: object) => {
  const d = decode(kind, bytes(msg));
  if (!d.ok) throw new Error(`expected ${JSON.stringify(msg)} to decode: ${d.error.message} ${JSON.stringify(d.error.issues)}`);
  expect(d.value).toEqual(msg);
};
const refusedAt = (kind: SubjectKind, msg: object): string[] => {
  const d = decode(kind, bytes(msg));
  if (d.ok) throw new Error(`expected ${JSON.stringify(msg)} to be refused`);
  return d.error.issues.map((i) => i.path);
};

const ref = { runId: 'run-1', taskId: 'build', attempt: 1 };
const heartbeat = { ...sampleHeartbeat, labels: {} };
const scale = { v: 1, kind: 'scale.decided', current: 1, desired: 1, direction: 'hold', reasons: [], queueDepth: 0, oldestWaitMs: 0, cpuUtilisation: 0, expectedTaskMs: 0, decidedAt: 1 };

describe('attempt numbers: 1 to 100', () => {
  it('accepts attempts 1 and 100 and refuses 0 and 101, in every message that names one', () => {
    for (const attempt of [1, 100]) {
      ok('control', { v: 1, action: 'cancel', ...ref, attempt });
      ok('heartbeat', { ...heartbeat, running: [{ ...ref, attempt }] });
    }
    for (const attempt of [0, 101]) {
      expect(refusedAt('control', { v: 1, action: 'result', ...ref, attempt })).toEqual(['attempt']);
      expect(refusedAt('heartbeat', { ...heartbeat, running: [{ ...ref, attempt }] })).toEqual(['running[0].attempt']);
    }
  });
});

describe('Heartbeat', () => {
  it.each(['cgroup-v2', 'cgroup-v1', 'fallback', 'none'])('governor %s', (governor) => {
    ok('heartbeat', { ...heartbeat, governor });
  });

  it.each(['ok', 'above', 'below'])('band state %s', (state) => {
    ok('heartbeat', { ...heartbeat, band: { low: 0, high: 100, state, throttled: ['run-1/build'] } });
  });

  it('pulse between 500 ms and 60 s; host CPU between 0 and 100 %; at least one core', () => {
    ok('heartbeat', { ...heartbeat, pulseMs: 500, host: { ...heartbeat.host, cpuPercent: 0 } });
    ok('heartbeat', { ...heartbeat, pulseMs: 60_000, host: { ...heartbeat.host, cpuPercent: 100 } });
    expect(refusedAt('heartbeat', { ...heartbeat, pulseMs: 499 })).toEqual(['pulseMs']);
    expect(refusedAt('heartbeat', { ...heartbeat, pulseMs: 60_001 })).toEqual(['pulseMs']);
    expect(refusedAt('heartbeat', { ...heartbeat, host: { ...heartbeat.host, cpuPercent: -1 } })).toEqual(['host.cpuPercent']);
    expect(refusedAt('heartbeat', { ...heartbeat, host: { ...heartbeat.host, cores: 0 } })).toEqual(['host.cores']);
    expect(refusedAt('heartbeat', { ...heartbeat, band: { low: 0, high: 101, state: 'ok', throttled: [] } })).toEqual(['band.high']);
    expect(refusedAt('heartbeat', { ...heartbeat, band: { low: 0, high: 100, state: 'hot', throttled: [] } })).toEqual(['band.state']);
    expect(refusedAt('heartbeat', { ...heartbeat, governor: 'cgroup' })).toEqual(['governor']);
  });

  it('the warm pool, outbox depth and malformed count are whole and not negative', () => {
    ok('heartbeat', { ...heartbeat, warm: { ready: 0, size: 0, off: 'no tmux' }, outboxDepth: 0, malformed: 0 });
    expect(refusedAt('heartbeat', { ...heartbeat, warm: { ready: -1, size: 0 } })).toEqual(['warm.ready']);
    expect(refusedAt('heartbeat', { ...heartbeat, outboxDepth: 1.5 })).toEqual(['outboxDepth']);
    expect(refusedAt('heartbeat', { ...heartbeat, malformed: -1 })).toEqual(['malformed']);
  });
});

describe('ControlRequest: every action, and its bounds', () => {
  const task = { runId: 'run-1', taskId: 'build' };
  it.each([
    ['cancel', { ...ref, reason: 'operator' }],
    ['stop-all', {}],
    ['emergency-cleanup', {}],
    ['reset', {}],
    ['logs', { ...task, attempt: 2, bytes: 256 * 1024 }],
    ['ping', {}],
    ['result', ref],
    ['send', { ...task, text: 'y'.repeat(8192) }],
    ['capture', { ...task, lines: 10_000 }],
    ['keys', { ...task, keys: ['Down', 'Enter'] }],
    ['choose', { ...task, option: 2 }],
  ])('decodes %s', (action, fields) => {
    ok('control', { v: 1, action, ...fields });
  });

  it('refuses values past the bounds of logs, send and capture', () => {
    expect(refusedAt('control', { v: 1, action: 'logs', ...task, bytes: 0 })).toEqual(['bytes']);
    expect(refusedAt('control', { v: 1, action: 'logs', ...task, bytes: 256 * 1024 + 1 })).toEqual(['bytes']);
    expect(refusedAt('control', { v: 1, action: 'send', ...task, text: '' })).toEqual(['text']);
    expect(refusedAt('control', { v: 1, action: 'send', ...task, text: 'y'.repeat(8193) })).toEqual(['text']);
    expect(refusedAt('control', { v: 1, action: 'capture', ...task, lines: -1 })).toEqual(['lines']);
    expect(refusedAt('control', { v: 1, action: 'capture', ...task, lines: 10_001 })).toEqual(['lines']);
    ok('control', { v: 1, action: 'logs', ...task, bytes: 1 });
    ok('control', { v: 1, action: 'capture', ...task, lines: 0 });
  });
});

describe('ScaleDecided', () => {
  it.each(['up', 'down', 'hold'])('direction %s', (direction) => {
    ok('scale', { ...scale, direction });
  });

  it('at most 20 reasons', () => {
    ok('scale', { ...scale, reasons: Array.from({ length: 20 }, (_, i) => `r${i}`) });
    expect(refusedAt('scale', { ...scale, reasons: Array.from({ length: 21 }, (_, i) => `r${i}`) })).toEqual(['reasons']);
    expect(refusedAt('scale', { ...scale, direction: 'sideways' })).toEqual(['direction']);
  });
});

describe('TaskCheckin', () => {
  const checkin = { v: 1, kind: 'task.checkin', ...ref, nodeId: 'node-a', seq: 1, sentAt: 1, capturedAt: 2, state: 'waiting-for-input', verified: true, reply: 'done' };
  it('numbers check-ins from 1', () => {
    ok('checkin', checkin);
    expect(refusedAt('checkin', { ...checkin, seq: 0 })).toEqual(['seq']);
  });
});
