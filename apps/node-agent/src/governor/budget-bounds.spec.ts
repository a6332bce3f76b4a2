/**
 * Budget validation at its bounds (issue 15: mutation testing of the node-agent deciders): the
 * CPU, memory and pids limits at exactly their edges, the prefix rule, and the wording of each
 * refusal.
 */
import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '@shoal/protocol';
import { MAX_CPU_PERCENT, MAX_MEMORY_MB, MIN_MEMORY_MB, assertCpuPercent, assertPrefix, assertTaskKey, cfsQuotaUs, memoryLimitBytes, resolveBudget } from './budget.js';

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('resolveBudget at the edges', () => {
  it('the documented bounds: CPU (0, 102400] %, memory [4, 16777216] MB', () => {
    expect(MAX_CPU_PERCENT).toBe(102_400);
    expect(MIN_MEMORY_MB).toBe(4);
    expect(MAX_MEMORY_MB).toBe(16_777_216);
  });

  it('accepts exactly the largest CPU and memory and the smallest memory, with an explicit pidsMax', () => {
    expect(resolveBudget({ cpuPercent: 102_400, memoryMb: 16_777_216, pidsMax: 1 })).toEqual({ cpuPercent: 102_400, memoryMb: 16_777_216, pidsMax: 1 });
    expect(resolveBudget({ cpuPercent: 0.001, memoryMb: 4 }).memoryMb).toBe(4);
  });

  it('refuses just past each bound, with the rule in the message', () => {
    expect(issuesOf(() => resolveBudget({ cpuPercent: 102_400.5, memoryMb: 512 }))).toEqual([{ path: 'cpuPercent', message: 'must be a number in (0, 102400]' }]);
    expect(issuesOf(() => resolveBudget({ cpuPercent: 0, memoryMb: 512 }))).toEqual([{ path: 'cpuPercent', message: 'must be a number in (0, 102400]' }]);
    expect(issuesOf(() => resolveBudget({ cpuPercent: 10, memoryMb: 3.99 }))).toEqual([{ path: 'memoryMb', message: 'must be a number in [4, 16777216]' }]);
    expect(issuesOf(() => resolveBudget({ cpuPercent: 10, memoryMb: 16_777_217 }))).toEqual([{ path: 'memoryMb', message: 'must be a number in [4, 16777216]' }]);
    expect(issuesOf(() => resolveBudget({ cpuPercent: 10, memoryMb: 512, pidsMax: 0 }))).toEqual([{ path: 'pidsMax', message: 'must be a positive integer' }]);
    expect(issuesOf(() => resolveBudget({ cpuPercent: Infinity, memoryMb: Infinity, pidsMax: Infinity }))).toHaveLength(3);
  });
});

describe('assertCpuPercent', () => {
  it('accepts (0, 102400] and names the given path when it refuses', () => {
    expect(() => assertCpuPercent(102_400)).not.toThrow();
    expect(() => assertCpuPercent(0.5)).not.toThrow();
    expect(issuesOf(() => assertCpuPercent(0))).toEqual([{ path: 'cpuPercent', message: 'must be a number in (0, 102400]' }]);
    expect(issuesOf(() => assertCpuPercent(-1, 'limit.cpu'))).toEqual([{ path: 'limit.cpu', message: 'must be a number in (0, 102400]' }]);
    expect(issuesOf(() => assertCpuPercent(102_401))).toHaveLength(1);
    expect(issuesOf(() => assertCpuPercent(Number.NaN))).toHaveLength(1);
  });
});

describe('assertPrefix and assertTaskKey', () => {
  it('a prefix is lower-case letters, digits and dashes, up to 63 characters, no dots', () => {
    for (const ok of ['shoal', 'shoal-bench-1a2b', 'x'.repeat(63), '0']) expect(() => assertPrefix(ok)).not.toThrow();
    for (const bad of ['', 'Shoal', 'a.b', '-a', 'x'.repeat(64), 'a/b', 'a b']) {
      expect(issuesOf(() => assertPrefix(bad))).toEqual([{ path: 'prefix', message: 'must match ^[a-z0-9][a-z0-9-]{0,62}$' }]);
    }
  });

  it('a value that is not a string is refused, even one whose text would match', () => {
    expect(issuesOf(() => assertTaskKey(123 as unknown as string))).toHaveLength(1);
    expect(issuesOf(() => assertPrefix(5 as unknown as string))).toHaveLength(1);
  });

  it('a refused task key names the rule', () => {
    expect(issuesOf(() => assertTaskKey('a..b'))).toEqual([{ path: 'taskKey', message: 'must match ^[a-z0-9][a-z0-9.-]{0,127}$ without ".."' }]);
  });
});

describe('unit conversions at their edges', () => {
  it('a quota is rounded to whole microseconds and never below 1000', () => {
    expect(cfsQuotaUs(1)).toBe(1_000);
    expect(cfsQuotaUs(0.5)).toBe(1_000);
    expect(cfsQuotaUs(1.0004)).toBe(1_000);
    expect(cfsQuotaUs(1.5)).toBe(1_500);
    expect(cfsQuotaUs(33.3333)).toBe(33_333);
  });

  it('a memory limit is rounded down to whole 4 KiB pages', () => {
    expect(memoryLimitBytes(1)).toBe(1_048_576);
    expect(memoryLimitBytes(0.004)).toBe(4_096);
    expect(memoryLimitBytes(0.0039)).toBe(0);
  });
});
