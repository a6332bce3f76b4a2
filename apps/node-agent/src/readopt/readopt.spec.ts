import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION, type TaskDispatched } from '@shoal/protocol';
import { tempDir, type TempDir } from '@shoal/testing';
import { type AttemptRecord, AttemptRecords, decodeRecord, encodeRecord, recordFileName, recordOf } from './attempt-record.js';
import { type FoundPane, planReadoption } from './plan.js';
import { budgetOf } from './readopt.js';

const task = (attempt = 1, over: Partial<TaskDispatched> = {}): TaskDispatched => ({
  v: PROTOCOL_VERSION,
  kind: 'task.dispatched',
  runId: 'run-1',
  taskId: 'build',
  attempt,
  phaseId: 'p1',
  nodeId: 'node-a',
  team: 'ops',
  role: 'Ops-Build',
  command: ['sh', '-c', 'echo "$1"', 'sh', 'x; rm -rf /'],
  cpuPercent: 50,
  memoryMb: 256,
  priority: 0,
  dispatchedAt: 1_700_000_000_000,
  ...over,
});

const record = (attempt = 1, over: Partial<AttemptRecord> = {}): AttemptRecord => ({
  v: 1,
  task: task(attempt),
  session: 'Task-ops',
  windowId: '@3',
  paneId: '%4',
  pid: 4242,
  groupKey: `run-1.build.${attempt}`,
  logFile: `/data/logs/run-1.build.${attempt}.log`,
  startedAt: 1_700_000_001_000,
  warm: false,
  startedReported: true,
  ...over,
});

const pane = (over: Partial<FoundPane> = {}): FoundPane => ({ session: 'Task-ops', windowId: '@3', paneId: '%4', pid: 4242, dead: false, exitCode: null, ...over });

describe('attempt records', () => {
  let dir: TempDir;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.dispose());

  it('round-trip through their codec, and refuse what is not a record', () => {
    const r = record(2, { warm: true, startedReported: false });
    expect(decodeRecord(encodeRecord(r))).toEqual({ ok: true, value: r });
    expect(decodeRecord('{')).toMatchObject({ ok: false, error: expect.stringContaining('not JSON') });
    const bad = decodeRecord(JSON.stringify({ ...r, paneId: 'x; kill' }));
    expect(bad).toMatchObject({ ok: false, error: expect.stringContaining('paneId') });
    expect(decodeRecord(JSON.stringify({ ...r, extra: 1 })).ok).toBe(false);
    expect(() => encodeRecord({ ...r, pid: 0 })).toThrow();
  });

  it('are built from a running attempt only', () => {
    const a = { task: task(), session: 'Task-ops', windowId: '@3', paneId: '%4', pid: 4242, logFile: '/l', startedAt: 5, warm: true, governed: { taskKey: 'warm-abc' } };
    expect(recordOf(a, false)).toMatchObject({ groupKey: 'warm-abc', warm: true, startedReported: false, paneId: '%4' });
    expect(() => recordOf({ ...a, paneId: undefined }, true)).toThrow(/no pane/);
  });

  it('are stored 0600 in a 0700 directory, replaced atomically, removed, and broken files dropped with a reason', () => {
    const store = new AttemptRecords(join(dir.path, 'attempts'));
    expect(store.load()).toEqual({ records: [], broken: [] });
    store.save(record(1, { startedReported: false }));
    store.save(record(1));
    store.save(record(2, { paneId: '%9', pid: 99 }));
    const file = join(dir.path, 'attempts', recordFileName('run-1', 'build', 1));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir.path, 'attempts')).mode & 0o777).toBe(0o700);
    writeFileSync(join(dir.path, 'attempts', 'junk.json'), 'not json');
    writeFileSync(join(dir.path, 'attempts', 'half.json.123.tmp'), '{');
    const loaded = store.load();
    expect(loaded.records.map((r) => [r.task.attempt, r.startedReported]).sort()).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(loaded.broken).toEqual([{ file: 'junk.json', error: expect.stringContaining('not JSON') }]);
    store.remove('run-1', 'build', 1);
    store.remove('run-1', 'build', 7);
    expect(readdirSync(join(dir.path, 'attempts'))).toEqual([recordFileName('run-1', 'build', 2)]);
  });
});

describe('re-adoption plan', () => {
  it('adopts a live pane running the recorded pid', () => {
    expect(planReadoption([record()], [pane()])).toEqual([{ action: 'adopt', record: record(), pane: pane() }]);
  });

  it('reports a dead pane as finished, with the pane to read its exit status from', () => {
    const dead = pane({ dead: true, exitCode: 3 });
    expect(planReadoption([record()], [dead])).toEqual([{ action: 'finished', record: record(), pane: dead }]);
  });

  it('calls an attempt lost when its pane is gone or runs another pid (tmux server restarted, pane id reused)', () => {
    const [gone] = planReadoption([record()], [pane({ paneId: '%5' })]);
    expect(gone).toMatchObject({ action: 'lost', reason: expect.stringContaining('window was gone') });
    const [reused] = planReadoption([record()], [pane({ pid: 777 })]);
    expect(reused).toMatchObject({ action: 'lost', reason: expect.stringContaining('now runs pid 777, not 4242') });
  });

  it('of two recorded attempts of one task adopts only the newest', () => {
    const older = record(1);
    const newer = record(2, { paneId: '%9', windowId: '@8', pid: 99 });
    const plan = planReadoption([older, newer], [pane(), pane({ paneId: '%9', windowId: '@8', pid: 99 })]);
    expect(plan.map((d) => d.action)).toEqual(['superseded', 'adopt']);
    expect(plan[0]).toMatchObject({ by: 2, pane: { paneId: '%4' } });
  });

  it('gives an adopted group the budget it was created with', () => {
    expect(budgetOf(record())).toEqual({ cpuPercent: 50, memoryMb: 256 });
    expect(budgetOf({ ...record(), task: task(1, { onMemoryExceeded: 'notify' }) }).memoryMb).toBe(512);
  });
});
