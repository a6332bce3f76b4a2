import { ValidationError, type FieldIssue } from '@shoal/protocol';
import { DEFAULT_PIDS_MAX, type Budget } from './types.js';

/** Task keys become group directory names: lower-case, digits, `.` and `-`, no `..`. */
export const TASK_KEY_PATTERN = /^[a-z0-9][a-z0-9.-]{0,127}$/;
/** Parent group names (the governor prefix): same alphabet, no dots. */
export const PREFIX_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** CFS period used for every quota, in microseconds (the kernel default). */
export const CFS_PERIOD_US = 100_000;
/** Smallest quota the kernel accepts, in microseconds. */
export const MIN_CFS_QUOTA_US = 1_000;
/** Upper bounds that catch unit mistakes (e.g. bytes passed as MiB). */
export const MAX_CPU_PERCENT = 100 * 1024;
export const MAX_MEMORY_MB = 16 * 1024 * 1024;
export const MIN_MEMORY_MB = 4;

/** A budget with every field filled in. */
export interface ResolvedBudget {
  cpuPercent: number;
  memoryMb: number;
  pidsMax: number;
}

/** Throws a ValidationError unless `key` is a safe group directory name. */
export function assertTaskKey(key: string): void {
  if (typeof key !== 'string' || !TASK_KEY_PATTERN.test(key) || key.includes('..')) {
    throw new ValidationError([{ path: 'taskKey', message: `must match ${TASK_KEY_PATTERN.source} without ".."` }]);
  }
}

/** Throws a ValidationError unless `prefix` is a safe parent group name. */
export function assertPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new ValidationError([{ path: 'prefix', message: `must match ${PREFIX_PATTERN.source}` }]);
  }
}

/** Throws a ValidationError unless `cpuPercent` is a finite positive percentage within bounds. */
export function assertCpuPercent(cpuPercent: number, path = 'cpuPercent'): void {
  if (!Number.isFinite(cpuPercent) || cpuPercent <= 0 || cpuPercent > MAX_CPU_PERCENT) {
    throw new ValidationError([{ path, message: `must be a number in (0, ${MAX_CPU_PERCENT}]` }]);
  }
}

/** Validates a budget (every problem reported at once) and fills in defaults. */
export function resolveBudget(budget: Budget): ResolvedBudget {
  const issues: FieldIssue[] = [];
  const { cpuPercent, memoryMb, pidsMax = DEFAULT_PIDS_MAX } = budget;
  if (!Number.isFinite(cpuPercent) || cpuPercent <= 0 || cpuPercent > MAX_CPU_PERCENT) {
    issues.push({ path: 'cpuPercent', message: `must be a number in (0, ${MAX_CPU_PERCENT}]` });
  }
  if (!Number.isFinite(memoryMb) || memoryMb < MIN_MEMORY_MB || memoryMb > MAX_MEMORY_MB) {
    issues.push({ path: 'memoryMb', message: `must be a number in [${MIN_MEMORY_MB}, ${MAX_MEMORY_MB}]` });
  }
  if (!Number.isSafeInteger(pidsMax) || pidsMax < 1) {
    issues.push({ path: 'pidsMax', message: 'must be a positive integer' });
  }
  if (issues.length) throw new ValidationError(issues);
  return { cpuPercent, memoryMb, pidsMax };
}

/** CFS quota in microseconds per {@link CFS_PERIOD_US} for a CPU percentage (never below the kernel minimum). */
export function cfsQuotaUs(cpuPercent: number): number {
  return Math.max(MIN_CFS_QUOTA_US, Math.round((cpuPercent / 100) * CFS_PERIOD_US));
}

/** The cgroup v2 `cpu.max` value, e.g. `"40000 100000"` for 40%. */
export function cpuMaxValue(cpuPercent: number): string {
  return `${cfsQuotaUs(cpuPercent)} ${CFS_PERIOD_US}`;
}

/** Memory limit in bytes for a budget in MiB (whole pages). */
export function memoryLimitBytes(memoryMb: number): number {
  const bytes = Math.floor(memoryMb * 1024 * 1024);
  return bytes - (bytes % 4096);
}

/** CPU time (µs) over wall time (ms) as a percentage of one core; 0 when no time passed. */
export function cpuPercentOf(cpuUsec: number, wallMs: number): number {
  return wallMs > 0 ? cpuUsec / 10 / wallMs : 0;
}
