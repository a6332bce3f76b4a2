/**
 * Every optional field of the wire messages decoded, and every text bound at exactly its limit and
 * one past it (issue 15: a bound of messages.ts turned from `max` into `min`, or a `16 * 1024`
 * into `16 / 1024`, must fail a test; so must a field a message no longer carries).
 */
import { decode } from './codec.js';
import { sampleHeartbeat } from './messages.spec-support.js';
import { SUBJECT_SCHEMAS, type PayloadOf, type SubjectKind } from './subjects.js';

type Obj = Record<string, unknown>;
const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const ok = (kind: SubjectKind, msg: object) => {
  const d = decode(kind, bytes(msg));
  if (!d.ok) throw new Error(`expected ${JSON.stringify(msg).slice(0, 300)} to decode: ${d.error.message.slice(0, 500)}`);
  expect(d.value).toEqual(msg);
};
/** The schema alone (some bounds lie past the codec's 256 KiB message limit). */
const valid = (kind: SubjectKind, msg: object) => {
  const r = SUBJECT_SCHEMAS[kind].safeParse(msg);
  if (!r.success) throw new Error(`expected ${JSON.stringify(msg).slice(0, 300)} to be valid: ${r.error.message.slice(0, 500)}`);
  expect(r.data).toEqual(msg);
};
/** The paths of the schema's issues, written as the codec writes them (`running[0].rssMb`). */
const refusedAt = (kind: SubjectKind, msg: object): string[] => {
  const r = SUBJECT_SCHEMAS[kind].safeParse(msg);
  if (r.success) throw new Error(`expected ${JSON.stringify(msg).slice(0, 300)} to be refused`);
  return r.error.issues.map((i) => i.path.map((k, n) => (typeof k === 'number' ? `[${k}]` : n ? `.${String(k)}` : String(k))).join(''));
};
/** A copy of `msg` with the value at a dotted path (`band.throttled.0`) replaced. */
function withAt(msg: Obj, path: string, value: unknown): Obj {
  const copy = structuredClone(msg);
  const keys = path.split('.');
  let at: any = copy;
  for (const k of keys.slice(0, -1)) at = at[k];
  at[keys.at(-1)!] = value;
  return copy;
}

const ref = { runId: 'run-1', taskId: 'build', attempt: 3 };
const finished: PayloadOf<'status'> = {
  v: 1,
  kind: 'task.finished',
  ...ref,
  nodeId: 'node-a',
  outcome: 'failed',
  exitCode: -1,
  signal: 'SIGTERM',
  reason: 'killed by the memory governor',
  startedAt: 5,
  finishedAt: 9,
  outputTail: 'out of memory\n',
};
const started: PayloadOf<'status'> = {
  v: 1,
  kind: 'task.started',
  ...ref,
  nodeId: 'node-a',
  startedAt: 5,
  session: 'Task-fe',
  window: 'Frontend-Dev',
  pid: 1,
  governor: 'cgroup-v2',
  tmuxSocket: 'shoal-node-a',
};
const dispatched: PayloadOf<'work'> = {
  v: 1,
  kind: 'task.dispatched',
  ...ref,
  phaseId: 'one',
  nodeId: 'node-a',
  dispatchedAt: 4,
  team: 'fe',
  role: 'Frontend-Dev',
  command: ['npm', 'test'],
  cpuPercent: 50,
  memoryMb: 512,
  priority: 0,
  cache: { url: 'https://coord:8080/cache', token: 'shoaltask_abc' },
};
const output: PayloadOf<'output'> = { v: 1, kind: 'task.output', ...ref, nodeId: 'node-a', seq: 7, text: 'line\n' };
const checkin: PayloadOf<'checkin'> = {
  v: 1,
  kind: 'task.checkin',
  ...ref,
  nodeId: 'node-a',
  seq: 2,
  sentAt: 5,
  capturedAt: 6,
  state: 'waiting-for-input',
  verified: false,
  reply: 'done with the parser',
};
const heartbeat: PayloadOf<'heartbeat'> = {
  ...sampleHeartbeat,
  band: { low: 20, high: 80, state: 'above', throttled: ['run-1/build'] },
  warm: { ready: 1, size: 2, off: 'tmux missing' },
  outboxDepth: 3,
  malformed: 1,
  running: [{ ...ref, cpuPercent: 12.5, rssMb: 300, agent: { state: 'menu', since: 8 } }],
};
const reply: PayloadOf<'controlReply'> = {
  v: 1,
  ok: true,
  message: 'chose option 2',
  affected: 1,
  verified: true,
  text: 'pane',
  data: 'log',
  result: finished,
  changed: true,
  menu: { id: 'trust', options: [{ index: 1, label: 'Yes', key: 'y' }, { index: 2, label: 'No' }], selected: 1 },
  chosen: { index: 2, label: 'No' },
  keys: ['Down', 'Enter'],
};
const cancel: PayloadOf<'control'> = { v: 1, action: 'cancel', ...ref, reason: 'operator' };
const scale: PayloadOf<'scale'> = { v: 1, kind: 'scale.decided', current: 1, desired: 2, direction: 'up', reasons: ['queue'], queueDepth: 4, oldestWaitMs: 1, cpuUtilisation: 0.5, expectedTaskMs: 10, decidedAt: 3 };
const submitted: PayloadOf<'events'> = { v: 1, kind: 'run.submitted', runId: 'run-1', plan: 'demo', submittedAt: 5, tasks: 0 };

describe('every optional field of each message decodes', () => {
  it.each<[SubjectKind, string, Obj]>([
    ['work', 'a dispatch with a cache grant', dispatched],
    ['status', 'a start with pid, governor and tmux socket', started],
    ['status', 'an end with signal, reason and start time', finished],
    ['output', 'an output batch', output],
    ['checkin', 'a check-in reply', checkin],
    ['heartbeat', 'a heartbeat with band, warm pool, outbox, malformed count and an observed agent', heartbeat],
    ['controlReply', 'a control reply with every answer field', reply],
    ['control', 'a cancel with its reason', cancel],
    ['scale', 'a scaling decision', scale],
    ['events', 'a submitted run with no tasks', submitted],
  ])('%s: %s', (kind, _what, msg) => {
    ok(kind, msg);
  });
});

/** [kind, dotted path of a text field, its longest length, a valid message]. */
const TEXT_BOUNDS: Array<[SubjectKind, string, number, Obj]> = [
  ['work', 'cache.url', 2048, dispatched],
  ['work', 'cache.token', 2048, dispatched],
  ['status', 'session', 128, started],
  ['status', 'window', 128, started],
  ['status', 'governor', 32, started],
  ['status', 'tmuxSocket', 128, started],
  ['output', 'text', 64 * 1024, output],
  ['checkin', 'state', 32, checkin],
  ['checkin', 'reply', 16 * 1024, checkin],
  ['status', 'signal', 32, finished],
  ['status', 'reason', 2000, finished],
  ['status', 'outputTail', 16 * 1024, finished],
  ['heartbeat', 'hostname', 255, heartbeat],
  ['heartbeat', 'band.throttled.0', 300, heartbeat],
  ['heartbeat', 'warm.off', 500, heartbeat],
  ['control', 'reason', 500, cancel],
  ['controlReply', 'message', 2000, reply],
  ['controlReply', 'text', 128 * 1024, reply],
  ['controlReply', 'data', 256 * 1024, reply],
  ['controlReply', 'keys.0', 20, reply],
  ['scale', 'reasons.0', 2000, scale],
];

describe('text fields: exactly the limit is accepted, one more character is refused at the field', () => {
  it.each(TEXT_BOUNDS)('%s: %s at most %i characters', (kind, path, max, msg) => {
    valid(kind, withAt(msg, path, 'x'.repeat(max)));
    expect(refusedAt(kind, withAt(msg, path, 'x'.repeat(max + 1)))).toEqual([path.replace(/\.(\d+)$/, '[$1]')]);
  });

  it('the cache grant needs a URL and a token', () => {
    expect(refusedAt('work', withAt(dispatched, 'cache.url', ''))).toEqual(['cache.url']);
    expect(refusedAt('work', withAt(dispatched, 'cache.token', ''))).toEqual(['cache.token']);
  });
});

describe('numbers and lists at their edges', () => {
  it('a pid is positive; an exit code is whole and may be negative or null', () => {
    expect(refusedAt('status', { ...started, pid: 0 })).toEqual(['pid']);
    valid('status', { ...finished, exitCode: null });
    expect(refusedAt('status', { ...finished, exitCode: 1.5 })).toEqual(['exitCode']);
  });

  it('output batches are numbered from 0, check-ins from 1', () => {
    valid('output', { ...output, seq: 0 });
    expect(refusedAt('output', { ...output, seq: -1 })).toEqual(['seq']);
    valid('checkin', { ...checkin, seq: 1 });
  });

  it('a heartbeat: band bounds 0-100, at most 10,000 throttled and running entries, usage not negative', () => {
    valid('heartbeat', { ...heartbeat, band: { low: 0, high: 100, state: 'ok', throttled: Array.from({ length: 10_000 }, () => 'r/t') } });
    expect(refusedAt('heartbeat', { ...heartbeat, band: { low: 0, high: 100, state: 'ok', throttled: Array.from({ length: 10_001 }, () => 'r/t') } })).toEqual(['band.throttled']);
    expect(refusedAt('heartbeat', { ...heartbeat, band: { low: -1, high: 100, state: 'ok', throttled: [] } })).toEqual(['band.low']);
    expect(refusedAt('heartbeat', { ...heartbeat, band: { low: 101, high: 100, state: 'ok', throttled: [] } })).toEqual(['band.low']);
    const run = (i: number) => ({ runId: 'run-1', taskId: `t${i}`, attempt: 1 });
    valid('heartbeat', { ...heartbeat, running: Array.from({ length: 10_000 }, (_, i) => run(i)) });
    expect(refusedAt('heartbeat', { ...heartbeat, running: Array.from({ length: 10_001 }, (_, i) => run(i)) })).toEqual(['running']);
    expect(refusedAt('heartbeat', withAt(heartbeat, 'running.0.rssMb', -1))).toEqual(['running[0].rssMb']);
    expect(refusedAt('heartbeat', withAt(heartbeat, 'running.0.cpuPercent', -1))).toEqual(['running[0].cpuPercent']);
    expect(refusedAt('heartbeat', withAt(heartbeat, 'capacity.memoryMb', -1))).toEqual(['capacity.memoryMb']);
    expect(refusedAt('heartbeat', withAt(heartbeat, 'host.memUsedMb', -1))).toEqual(['host.memUsedMb']);
  });

  it('a control reply lists at most 200 keys', () => {
    valid('controlReply', { ...reply, keys: Array.from({ length: 200 }, () => 'Enter') });
    expect(refusedAt('controlReply', { ...reply, keys: Array.from({ length: 201 }, () => 'Enter') })).toEqual(['keys']);
  });
});
