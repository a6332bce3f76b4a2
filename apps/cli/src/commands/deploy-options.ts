/**
 * `shoal deploy` budgets: parsing and checking of `--cpu-limit` / `--memory` (also read from the
 * `npm_config_*` variables npm sets for `npm run agents:deploy --cpu-limit=40`), and applying them
 * as defaults to a plan object. Pure: no I/O.
 */

import { ValidationError } from '@shoal/protocol';

/** The seed's CPU band: percent of one core per agent, as `--cpu-limit` accepts it. */
export const CPU_LIMIT_RANGE = { min: 40, max: 60 } as const;
/** Memory per agent, in MB, as `--memory` accepts it (the plan's own limits). */
export const MEMORY_RANGE_MB = { min: 256, max: 768 } as const;

/** A refused option value (a validation error of that option); the CLI prints the message and exits 2. */
export class DeployOptionError extends ValidationError {
  constructor(option: string, message: string) {
    super([{ path: option, message }]);
    this.message = message;
  }
}

/** What `shoal deploy` was asked for, after the npm_config_* fallbacks. */
export interface DeployOptions {
  /** Plan file (default `shoal.yaml`). */
  plan: string;
  /** CPU % of one core for each task that sets no `resources.cpu`. */
  cpuPercent?: number;
  /** Memory MB for each task that sets no `resources.memory`. */
  memoryMb?: number;
}

/** Parses `--cpu-limit`: `40`, `40%`; 40..60. */
export function parseCpuLimit(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(raw);
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(n) || n < CPU_LIMIT_RANGE.min || n > CPU_LIMIT_RANGE.max) {
    throw new DeployOptionError('--cpu-limit', `--cpu-limit=${raw} refused: allowed ${CPU_LIMIT_RANGE.min}-${CPU_LIMIT_RANGE.max} (whole percent of one core per agent, inside the seed's ${CPU_LIMIT_RANGE.min}-${CPU_LIMIT_RANGE.max}% host band)`);
  }
  return n;
}

const UNIT_MB: Record<string, number> = { '': 1, m: 1, mb: 1, mib: 1, g: 1024, gb: 1024, gib: 1024 };

/** Parses `--memory`: `512MB`, `512M`, `512`, `0.5GB` (MB and MiB are taken alike); 256..768 MB. */
export function parseMemory(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(raw);
  const factor = m ? UNIT_MB[m[2]!.toLowerCase()] : undefined;
  const mb = m && factor !== undefined ? Number(m[1]) * factor : NaN;
  if (!Number.isInteger(mb) || mb < MEMORY_RANGE_MB.min || mb > MEMORY_RANGE_MB.max) {
    throw new DeployOptionError('--memory', `--memory=${raw} refused: allowed ${MEMORY_RANGE_MB.min}MB-${MEMORY_RANGE_MB.max}MB per agent (e.g. 512MB)`);
  }
  return mb;
}

/** The deploy flags as commander gives them (strings, unparsed). */
export interface DeployFlags {
  plan?: string;
  cpuLimit?: string;
  memory?: string;
}

/**
 * Flags first, then what npm passed as config (`npm run agents:deploy --cpu-limit=40` sets
 * `npm_config_cpu_limit=40`). npm turns a bare `--flag` into `"true"`: refused like any other value.
 */
export function resolveDeployOptions(flags: DeployFlags, env: Record<string, string | undefined>): DeployOptions {
  const cpu = flags.cpuLimit ?? nonEmpty(env.npm_config_cpu_limit);
  const memory = flags.memory ?? nonEmpty(env.npm_config_memory);
  return {
    plan: flags.plan ?? nonEmpty(env.npm_config_plan) ?? 'shoal.yaml',
    ...(cpu !== undefined ? { cpuPercent: parseCpuLimit(cpu) } : {}),
    ...(memory !== undefined ? { memoryMb: parseMemory(memory) } : {}),
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy of a plan object (as parsed from YAML, before validation) where every task without its
 * own `resources.cpu` / `resources.memory` gets the deploy budgets, and every task without a `cwd`
 * gets `cwd` (the plan file's directory, so `examples/seed/...` paths resolve). Tasks that set
 * their own values keep them. Anything that is not plan-shaped is returned as it was (the
 * coordinator's validation explains it).
 */
export function applyDeployDefaults(plan: unknown, o: { cpuPercent?: number; memoryMb?: number; cwd?: string }): unknown {
  if (!isObj(plan) || !Array.isArray(plan.phases)) return plan;
  const phases = plan.phases.map((phase) => {
    if (!isObj(phase) || !Array.isArray(phase.tasks)) return phase;
    const tasks = phase.tasks.map((task) => {
      if (!isObj(task)) return task;
      const own = isObj(task.resources) ? task.resources : {};
      const resources = {
        ...(own.cpu === undefined && o.cpuPercent !== undefined ? { cpu: o.cpuPercent } : {}),
        ...(own.memory === undefined && o.memoryMb !== undefined ? { memory: o.memoryMb } : {}),
        ...own,
      };
      return {
        ...task,
        ...(Object.keys(resources).length ? { resources } : {}),
        ...(task.cwd === undefined && o.cwd !== undefined ? { cwd: o.cwd } : {}),
      };
    });
    return { ...phase, tasks };
  });
  return { ...plan, phases };
}
