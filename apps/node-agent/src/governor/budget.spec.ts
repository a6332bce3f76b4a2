import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  assertTaskKey,
  cfsQuotaUs,
  cpuMaxValue,
  cpuPercentOf,
  memoryLimitBytes,
  resolveBudget,
} from './budget.js';
import { v1LimitWrites, v1MemoryVerdict } from './cgroup-v1.js';
import { v2LimitFiles } from './cgroup-v2.js';
import { DEFAULT_PIDS_MAX } from './types.js';

/** fast-check seed: fixed so a failure reproduces; printed in the describe name (FC_SEED overrides it). */
const SEED = Number(process.env.FC_SEED ?? 20261129);

describe(`budget values (fast-check seed ${SEED})`, () => {
  it('turns a CPU percentage into a CFS quota per 100 ms period', () => {
    expect(cpuMaxValue(40)).toBe('40000 100000');
    expect(cpuMaxValue(250)).toBe('250000 100000');
    expect(cfsQuotaUs(0.1)).toBe(1000);
  });

  it('keeps quotas monotone and never below the kernel minimum', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 10_000, noNaN: true }), fc.double({ min: 0.01, max: 10_000, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(cfsQuotaUs(lo)).toBeLessThanOrEqual(cfsQuotaUs(hi));
        expect(cfsQuotaUs(lo)).toBeGreaterThanOrEqual(1000);
      }),
      { seed: SEED },
    );
  });

  it('gives memory limits in whole pages', () => {
    expect(memoryLimitBytes(256)).toBe(268_435_456);
    expect(memoryLimitBytes(100.5) % 4096).toBe(0);
  });

  it('computes CPU percent of one core from µs over ms', () => {
    expect(cpuPercentOf(2_000_000, 5000)).toBe(40);
    expect(cpuPercentOf(5, 0)).toBe(0);
  });

  it('fills in pidsMax and reports every bad field at once', () => {
    expect(resolveBudget({ cpuPercent: 40, memoryMb: 512 })).toEqual({ cpuPercent: 40, memoryMb: 512, pidsMax: DEFAULT_PIDS_MAX });
    expect(() => resolveBudget({ cpuPercent: 0, memoryMb: Number.NaN, pidsMax: 1.5 })).toThrow(
      expect.objectContaining({
        code: 'E_VALIDATION',
        issues: [expect.objectContaining({ path: 'cpuPercent' }), expect.objectContaining({ path: 'memoryMb' }), expect.objectContaining({ path: 'pidsMax' })],
      }),
    );
  });

  it('accepts only safe task keys', () => {
    for (const ok of ['a', 'run-1.task-2.3', 'x'.repeat(128)]) expect(() => assertTaskKey(ok)).not.toThrow();
    for (const bad of ['', '.', '..', 'a..b', '../x', 'a/b', 'A', '-a', 'x'.repeat(129), 'a b', 'a\nb']) {
      expect(() => assertTaskKey(bad)).toThrow(expect.objectContaining({ code: 'E_VALIDATION' }));
    }
  });
});

describe('control file values', () => {
  it('v2: cpu.max, memory.max without swap, group OOM, pids.max', () => {
    expect(v2LimitFiles({ cpuPercent: 40, memoryMb: 256, pidsMax: 64 })).toEqual({
      'cpu.max': '40000 100000',
      'memory.max': '268435456',
      'memory.swap.max': '0',
      'memory.oom.group': '1',
      'pids.max': '64',
    });
  });

  it('v1: period before quota, memsw after the plain limit', () => {
    const writes = v1LimitWrites({ cpuPercent: 40, memoryMb: 256 }).map((w) => `${w.file}=${w.value}`);
    expect(writes).toEqual([
      'cpu.cfs_period_us=100000',
      'cpu.cfs_quota_us=40000',
      'memory.limit_in_bytes=268435456',
      'memory.memsw.limit_in_bytes=268435456',
      `pids.max=${DEFAULT_PIDS_MAX}`,
    ]);
  });

  it('v1: reads OOM kills from memory.oom_control, else from failcnt', () => {
    expect(v1MemoryVerdict('oom_kill_disable 0\nunder_oom 0\noom_kill 1\n', '0')).toBe('memory-limit-exceeded');
    expect(v1MemoryVerdict('oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', '3')).toBeNull();
    expect(v1MemoryVerdict('oom_kill_disable 0\nunder_oom 0\n', '3')).toBe('memory-limit-exceeded');
    expect(v1MemoryVerdict(null, null)).toBeNull();
  });
});
