/**
 * Warm pool on real tmux (private socket) and the governor this host offers (cgroups where it has
 * them, else the fallback): tasks start in windows prepared ahead of time, inside their budget,
 * with their argv/env/cwd literal and their log from the first byte; drain leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { tempDir, tmuxSocket, waitFor, type TempDir, type TmuxSocket } from '@shoal/testing';
import { detectGovernor, type ResourceGovernor } from '../../apps/node-agent/src/governor/index.js';
import { TmuxDriver } from '../../apps/node-agent/src/tmux/index.js';
import { WARM_SESSION, WarmPool } from '../../apps/node-agent/src/warm/index.js';
import { processesWithEnv } from '../support/processes.js';

/** Prints its argv, cwd and $PROBE as JSON (the log must hold it from the first byte). */
const PROBE = `process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), cwd: process.cwd(), probe: process.env.PROBE ?? null }))`;

describe('WarmPool (real tmux, real governor)', () => {
  let sock: TmuxSocket;
  let tmp: TempDir;
  let tmux: TmuxDriver;
  let governor: ResourceGovernor;
  let pool: WarmPool;
  let logDir: string;
  const prefix = `shoal-test-${randomBytes(4).toString('hex')}`;
  const budget = { cpuPercent: 50, memoryMb: 300 };

  beforeAll(async () => {
    sock = tmuxSocket();
    tmp = tempDir();
    logDir = join(tmp.path, 'logs');
    governor = await detectGovernor({ prefix });
    tmux = await TmuxDriver.connect({ socketName: sock.name });
    pool = new WarmPool({ tmux, governor, dir: join(tmp.path, 'warm'), logDir, size: 2, now: Date.now, warn: (m) => console.warn(m) });
    pool.fill();
    await waitFor(() => pool.size === 2, { what: 'two warm slots', timeoutMs: 30_000 });
  });

  afterAll(async () => {
    await pool?.drain().catch(() => undefined);
    await governor?.cleanupAll().catch(() => undefined);
    await tmux?.close().catch(() => undefined);
    await sock?.dispose();
    await tmp?.dispose();
  });

  it('starts a task in a warm window: literal argv, env and cwd, log from the first byte, moved and named', async () => {
    const cwd = join(tmp.path, `cwd $(touch x) '#{pane_id}`);
    mkdirSync(cwd);
    const args = ['$(id)', '`id`', "'", ' spaced ', '', '#{pane_id}', '-e'];
    const logFile = join(logDir, 'probe.log');
    const started = await pool.start({ session: 'Task-warm', window: 'Warm-Dev', argv: [process.execPath, '-e', PROBE, ...args], cwd, env: { PROBE: '$(touch y) `z`' }, logFile, budget });
    expect(started).toBeDefined();
    expect(await tmux.waitForExit(started!.paneId)).toEqual({ exitCode: 0 });
    await waitFor(() => existsSync(logFile) && readFileSync(logFile, 'utf8').endsWith('}'), { what: 'the probe output in the log' });
    expect(JSON.parse(readFileSync(logFile, 'utf8'))).toEqual({ argv: args, cwd, probe: '$(touch y) `z`' });
    const windows = await tmux.listWindows('Task-warm');
    expect(windows.map((w) => [w.name, w.paneId])).toEqual([['Warm-Dev', started!.paneId]]);
    expect(existsSync(join(cwd, 'x')) || existsSync(join(cwd, 'y'))).toBe(false);
    await started!.governed.release();
    started!.dispose();
    await waitFor(() => pool.size === 2, { what: 'the pool to refill', timeoutMs: 30_000 });
  });

  it('runs the task inside its budget (the group took the task budget)', async () => {
    const logFile = join(logDir, 'hog.log');
    const hog = [process.execPath, '-e', 'const a=[];for(let i=0;i<40;i++)a.push(Buffer.alloc(10*1024*1024,1));setInterval(()=>{},1e6)'];
    const started = await pool.start({ session: 'Task-warm', window: 'Hog', argv: hog, env: {}, logFile, budget: { cpuPercent: 100, memoryMb: 256 } });
    expect(started).toBeDefined();
    const exit = await tmux.waitForExit(started!.paneId);
    expect(exit.signal === 'SIGKILL' || exit.exitCode === 137).toBe(true);
    expect(await started!.governed.verdict()).toBe('memory-limit-exceeded');
    await started!.governed.release();
    started!.dispose();
  });

  it('declines (the caller starts cold) when the log already exists, and refuses bad input like a cold start', async () => {
    const logFile = join(logDir, 'exists.log');
    writeFileSync(logFile, 'earlier output\n');
    expect(await pool.start({ session: 'Task-warm', window: 'Again', argv: ['true'], env: {}, logFile, budget })).toBeUndefined();
    await expect(pool.start({ session: 'Task-warm', window: 'Bad', argv: ['echo', 'a\nb'], env: {}, logFile: join(logDir, 'bad.log'), budget })).rejects.toThrow(/newline/);
    await expect(pool.start({ session: 'Task-warm', window: 'Bad', argv: ['true'], cwd: join(tmp.path, 'missing'), env: {}, logFile: join(logDir, 'bad.log'), budget })).rejects.toThrow(
      /not an existing directory/,
    );
    expect(existsSync(join(logDir, 'bad.log'))).toBe(false);
  });

  it('hands a task back to be started cold when its slot fails before the task runs, and ends that slot', async () => {
    await waitFor(() => pool.size === 2, { what: 'a full pool', timeoutMs: 30_000 });
    const before = (await tmux.listWindows(WARM_SESSION)).map((w) => w.windowId);
    const logFile = join(logDir, 'bad-budget.log');
    expect(await pool.start({ session: 'Task-warm', window: 'Cold', argv: ['true'], env: {}, logFile, budget: { cpuPercent: 0, memoryMb: 256 } })).toBeUndefined();
    expect(existsSync(logFile)).toBe(false);
    const after = (await tmux.listWindows(WARM_SESSION)).map((w) => w.windowId);
    expect(before.filter((id) => !after.includes(id))).toHaveLength(1);
    await waitFor(() => pool.size === 2, { what: 'the pool to refill', timeoutMs: 30_000 });
  });

  it('drain() ends every warm window, process, group and file', async () => {
    await waitFor(() => pool.size === 2, { what: 'a full pool', timeoutMs: 30_000 });
    expect(await pool.drain()).toBe(2);
    expect(await tmux.hasSession(WARM_SESSION)).toBe(false);
    await waitFor(() => processesWithEnv('SHOAL_GOVERNOR_GROUP', `${prefix}/warm-`).length === 0, { what: 'no warm process left' });
    expect(readdirSync(join(tmp.path, 'warm'))).toEqual([]);
    expect(readdirSync(logDir).filter((f) => f.startsWith('warm-'))).toEqual([]);
    expect((await governor.cleanupAll()).removedGroups.filter((g) => g.startsWith('warm-'))).toEqual([]);
  });

  it('turns itself off after three windows in a row never became ready, instead of churning', async () => {
    let now = Date.now();
    const warnings: string[] = [];
    const dir = join(tmp.path, 'warm-off');
    const flaky = new WarmPool({ tmux, governor, dir, logDir, size: 1, now: () => now, warn: (m) => warnings.push(m) });
    try {
      for (let round = 1; round <= 3; round++) {
        flaky.fill();
        await waitFor(() => flaky.size === 1 && existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.fifo')), { what: `warm slot ${round} with its FIFO`, timeoutMs: 30_000 });
        for (const f of readdirSync(dir)) if (f.endsWith('.fifo')) rmSync(join(dir, f));
        now += 11_000;
        expect(await flaky.start({ session: 'Task-warm', window: 'Cold', argv: ['true'], env: {}, logFile: join(logDir, `cold-${round}.log`), budget })).toBeUndefined();
        expect(flaky.size).toBe(0);
      }
      expect(flaky.offBecause).toMatch(/not ready 10 s after/);
      expect(warnings.at(-1)).toMatch(/warm pool off after 3 failed windows in a row/);
      flaky.fill();
      expect(flaky.size).toBe(0);
      await waitFor(async () => (await tmux.listWindows(WARM_SESSION)).filter((w) => !w.dead).length === 0, { what: 'no warm window left' });
    } finally {
      await flaky.drain();
    }
  });
});
