import { existsSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION, type TaskStatus } from '@shoal/protocol';
import { tempDir, type TempDir } from '@shoal/testing';
import { AttemptClaims, claimKey } from './attempt-claims.js';
import { DurableAttempts, finishedRef } from './durable-attempts.js';
import { type IntervalTimers, keepWorking } from './in-progress.js';

const DAY = 24 * 3_600_000;
const age = (file: string, ms: number) => {
  const t = new Date(Date.now() - ms);
  utimesSync(file, t, t);
};

describe('attempt claims', () => {
  let dir: TempDir;
  let claims: AttemptClaims;
  beforeEach(() => {
    dir = tempDir();
    claims = new AttemptClaims(join(dir.path, 'claims'));
  });
  afterEach(() => dir.dispose());

  it('are taken once (O_EXCL): a second take of the same attempt fails until the claim is given back', () => {
    const key = claimKey({ runId: 'run-1', taskId: 'build', attempt: 2 });
    expect(key).toBe('run-1.build.2');
    expect(claims.held(key)).toBe(false);
    expect(claims.take(key)).toBe(true);
    expect(claims.take(key)).toBe(false);
    expect(claims.take('run-1.build.3')).toBe(true);
    expect(claims.held(key)).toBe(true);
    expect(statSync(join(dir.path, 'claims', key)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir.path, 'claims')).mode & 0o777).toBe(0o700);
    claims.release(key);
    claims.release('run-1.never.1');
    expect(claims.take(key)).toBe(true);
    expect(claims.keys().sort()).toEqual(['run-1.build.2', 'run-1.build.3']);
  });

  it('are taken in a claims directory made again when it was removed meanwhile', () => {
    claims.take('run-1.build.1');
    rmSync(join(dir.path, 'claims'), { recursive: true });
    expect(claims.take('run-1.build.2')).toBe(true);
    expect(claims.keys()).toEqual(['run-1.build.2']);
  });

  it('survive a new instance (a node-agent restart)', () => {
    claims.take('run-1.build.1');
    const again = new AttemptClaims(join(dir.path, 'claims'));
    expect(again.take('run-1.build.1')).toBe(false);
  });

  it('older than a day are pruned, except those kept (running attempts); hold refreshes one', () => {
    for (const k of ['old.a.1', 'old.b.1', 'old.c.1', 'new.a.1']) claims.take(k);
    for (const k of ['old.a.1', 'old.b.1', 'old.c.1']) age(join(dir.path, 'claims', k), DAY + 60_000);
    claims.hold('old.c.1'); // re-adopted: fresh again
    claims.hold('fresh.x.1'); // re-adopted without a claim (older data dir): created
    expect(claims.prune(Date.now(), DAY, (k) => k === 'old.b.1')).toEqual(['old.a.1']);
    expect(claims.keys().sort()).toEqual(['fresh.x.1', 'new.a.1', 'old.b.1', 'old.c.1']);
  });

  it('of starts never completed are given back, the others stay', () => {
    for (const k of ['r.a.1', 'r.b.1', 'r.c.1']) claims.take(k);
    expect(claims.releaseUnaccounted((k) => k !== 'r.b.1')).toEqual(['r.b.1']);
    expect(claims.keys().sort()).toEqual(['r.a.1', 'r.c.1']);
  });
});

describe('in-progress acks', () => {
  it('tell JetStream every interval that a slow start is still being worked on, until stopped', () => {
    let tick: (() => void) | undefined;
    let cleared = 0;
    const timers: IntervalTimers = {
      setInterval: (fn, ms) => {
        expect(ms).toBe(20_000);
        tick = fn;
        return 7;
      },
      clearInterval: (h) => {
        expect(h).toBe(7);
        cleared += 1;
      },
    };
    let working = 0;
    const stop = keepWorking({ working: () => (working += 1) }, 60_000 / 3, timers);
    tick!();
    tick!();
    expect(working).toBe(2);
    stop();
    stop();
    expect(cleared).toBe(1);
  });

  it('survive a message that can no longer be acked (closing connection)', () => {
    let tick: (() => void) | undefined;
    const timers: IntervalTimers = { setInterval: (fn) => ((tick = fn), 1), clearInterval: () => undefined };
    keepWorking({ working: () => { throw new Error('closed'); } }, 10, timers);
    expect(() => tick!()).not.toThrow();
  });
});

describe('durable attempts (claims + outbox at start)', () => {
  let dir: TempDir;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.dispose());

  const finished = (taskId: string): TaskStatus => ({ v: PROTOCOL_VERSION, kind: 'task.finished', runId: 'run-1', taskId, attempt: 1, nodeId: 'n', outcome: 'succeeded', exitCode: 0, finishedAt: 1, outputTail: '' });

  it('gives back only the claims of starts with neither a re-adopted record nor a reported end', async () => {
    const published: string[] = [];
    const stops: (() => Promise<void>)[] = [];
    const deps = {
      dataDir: dir.path,
      publish: async (s: TaskStatus) => (published.push(`${s.taskId}.${s.kind}`), { duplicate: false }),
      onReconnect: () => undefined,
      beforeStop: (fn: () => Promise<void>) => stops.push(fn),
      running: () => [],
      now: Date.now,
      log: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const first = new DurableAttempts(deps);
    await first.open();
    for (const t of ['adopted', 'ended', 'broke-off']) first.claims.take(`run-1.${t}.1`);
    await first.report(finished('ended'));
    await stops[0]!(); // shutdown: flushes, stops the drainer
    expect(published).toEqual(['ended.task.finished']);

    const second = new DurableAttempts(deps);
    await second.open();
    second.afterReadoption(new Set(['run-1.adopted.1']));
    expect(second.claims.keys().sort()).toEqual(['run-1.adopted.1', 'run-1.ended.1']);
    expect(existsSync(join(dir.path, 'claims', 'run-1.broke-off.1'))).toBe(false);
    expect(readdirSync(join(dir.path, 'outbox', 'sent'))).toEqual(['run-1.ended.1.task.finished.json']);
    await stops[1]!();
  });

  it('start an attempt once: duplicates (also concurrent ones) are acked and counted; a start that breaks off before its ack gives the claim back', async () => {
    const warnings: string[] = [];
    const durable = new DurableAttempts({ dataDir: dir.path, publish: async () => ({ duplicate: false }), onReconnect: () => undefined, beforeStop: () => undefined, running: () => [], now: Date.now, log: () => undefined, warn: (m) => warnings.push(m), error: () => undefined });
    const msg = () => ({ acks: 0, working: () => undefined, ack() { this.acks += 1; } });
    const first = msg();
    const second = msg();
    let release!: () => void;
    let starts = 0;
    expect(durable.skipDuplicate('r.a.1', first)).toBe(false);
    const running = durable.startClaimed('r.a.1', first, 1000, async (ack) => {
      starts += 1;
      await new Promise<void>((r) => (release = r));
      ack();
    });
    // a second delivery while the first is still starting
    await durable.startClaimed('r.a.1', second, 1000, async () => void (starts += 1));
    expect(second.acks).toBe(1);
    release();
    await running;
    expect(first.acks).toBe(1);
    const third = msg();
    expect(durable.skipDuplicate('r.a.1', third)).toBe(true);
    expect(third.acks).toBe(1);
    expect(starts).toBe(1);
    expect(durable.duplicateDeliveries).toBe(2);
    expect(warnings).toContain('r.a.1 delivered again (duplicate delivery 2 on this node): already started here, not started again');

    await expect(durable.startClaimed('r.b.1', msg(), 1000, async () => { throw new Error('tmux gone'); })).rejects.toThrow('tmux gone');
    expect(durable.claims.held('r.b.1')).toBe(false);
    await expect(durable.startClaimed('r.c.1', msg(), 1000, async (ack) => { ack(); throw new Error('after the ack'); })).rejects.toThrow('after the ack');
    expect(durable.claims.held('r.c.1')).toBe(true);
  });

  it('reads the attempt of a claim key', () => {
    expect(finishedRef('run-1.build.3')).toEqual({ runId: 'run-1', taskId: 'build', attempt: 3, kind: 'task.finished' });
  });
});
