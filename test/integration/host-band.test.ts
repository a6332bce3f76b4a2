/**
 * Host CPU band with real processes and the real governor of this host: two busy tasks, a fake
 * host sampler that reports a hot host, and the band throttles the lower-priority task.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@shoal/testing';
import { type BandTarget, HostBand } from '../../apps/node-agent/src/band/index.js';
import { type GovernedTask, type ResourceGovernor, detectGovernor } from '../../apps/node-agent/src/governor/index.js';
import { childrenOf } from '../support/processes.js';

const BUSY = ['/bin/sh', '-c', 'while :; do :; done'];

/** CPU ticks (user + system) of one process, from /proc. */
function ticks(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** The one child of `pid` (the entry shell's command), from /proc; undefined until it runs. */
function onlyChild(pid: number): number | undefined {
  const kids = childrenOf(pid);
  return kids.length === 1 ? kids[0] : undefined;
}

/** CPU of each pid over the same window, in % of one core. */
async function measure(pids: number[], ms: number): Promise<number[]> {
  const before = pids.map(ticks);
  const t0 = Date.now();
  await sleep(ms);
  const elapsed = Date.now() - t0;
  return pids.map((pid, i) => ((ticks(pid) - before[i]!) * 10 * 100) / elapsed);
}

describe('host CPU band (real governor, real busy processes)', () => {
  let governor: ResourceGovernor;
  const tasks: GovernedTask[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    governor = await detectGovernor({ prefix: `shoal-test-${randomBytes(4).toString('hex')}` });
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const t of tasks) await t.release().catch(() => undefined);
    await governor.cleanupAll().catch(() => undefined);
  }, 60_000);

  async function busyTask(key: string, priority: number): Promise<BandTarget & { pid: number }> {
    const governed = await governor.create(key, { cpuPercent: 60, memoryMb: 256 });
    tasks.push(governed);
    const argv = governed.wrapArgv(BUSY);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    children.push(child);
    governed.attach(child.pid!);
    // the entry shell stays as the busy command's parent: the command is its child
    const pid = await waitFor(() => onlyChild(child.pid!), { timeoutMs: 10_000, what: `${key}'s command started by its entry shell` });
    await waitFor(() => ticks(pid) > 0, { timeoutMs: 10_000, what: `${key} to burn CPU` });
    return { key, priority, budgetCpu: 60, startedAt: Date.now(), pid, setCpu: (p) => governed.setCpu(p) };
  }

  it('with two busy tasks and a low band, the lower-priority one is throttled, then restored below the band', async () => {
    const high = await busyTask('band.high', 10);
    const low = await busyTask('band.low', -10);
    let hostCpu = 95;
    const logs: string[] = [];
    const band = new HostBand(
      { low: 5, high: 10, sustainSamples: 2, floorPercent: 5 },
      { sample: () => hostCpu, targets: () => [high, low], log: (m) => logs.push(m), now: Date.now },
    );

    const [highBefore, lowBefore] = await measure([high.pid, low.pid], 2000);
    expect(band.admission().admit).toBe(true);
    await band.tick();
    expect(band.admission()).toEqual({ admit: false, reason: expect.stringContaining('above the band') });
    expect(band.snapshot()).toEqual({ low: 5, high: 10, state: 'above', throttled: [] });
    await band.tick();
    expect(band.snapshot().throttled).toEqual(['band.low']);
    await sleep(300);
    const [highThrottled, lowThrottled] = await measure([high.pid, low.pid], 3000);
    console.info(
      `${governor.kind}: before high ${highBefore!.toFixed(1)}% low ${lowBefore!.toFixed(1)}%; low throttled to 5%: high ${highThrottled!.toFixed(1)}% low ${lowThrottled!.toFixed(1)}%`,
    );
    // shares, not absolutes alone: on a loaded CI box the two busy tasks got 13% each before the throttle
    expect(lowBefore!).toBeGreaterThan(8);
    expect(lowThrottled!).toBeLessThanOrEqual(Math.min(10, lowBefore! * 0.75));
    expect(highThrottled!).toBeGreaterThan(8);
    expect(highThrottled!).toBeGreaterThan(lowThrottled! * 2);
    expect(logs.some((l) => l.includes('throttled band.low to 5%'))).toBe(true);

    hostCpu = 2;
    await band.tick();
    expect(band.snapshot()).toEqual({ low: 5, high: 10, state: 'below', throttled: [] });
    expect(band.admission()).toEqual({ admit: true });
    await sleep(300);
    const [, lowRestored] = await measure([high.pid, low.pid], 2000);
    console.info(`${governor.kind}: low restored to 60%: ${lowRestored!.toFixed(1)}%`);
    expect(lowRestored!).toBeGreaterThan(Math.max(8, lowThrottled! * 1.5));
    expect(logs.some((l) => l.includes('restored band.low to 60%'))).toBe(true);
  }, 60_000);
});
