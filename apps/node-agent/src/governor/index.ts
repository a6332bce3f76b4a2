export type {
  Budget,
  CleanupReport,
  GovernedTask,
  GovernorKind,
  GovernorOptions,
  ResourceGovernor,
  Usage,
  Verdict,
} from './types.js';
export { DEFAULT_PIDS_MAX } from './types.js';
export {
  TASK_KEY_PATTERN,
  assertTaskKey,
  cfsQuotaUs,
  cpuMaxValue,
  memoryLimitBytes,
  resolveBudget,
  type ResolvedBudget,
} from './budget.js';
export { detectGovernor, probeGovernors, pickV1Mounts, GOVERNOR_ORDER, type DetectOptions, type GovernorProbe } from './detect.js';
export { CgroupV2Governor, v2LimitFiles, type CgroupV2Options } from './cgroup-v2.js';
export { CgroupV1Governor, v1LimitWrites, v1MemoryVerdict, type CgroupV1Options, type V1Mounts, type V1Write } from './cgroup-v1.js';
export { FallbackGovernor, type FallbackOptions } from './fallback.js';
export { nodeCgroupFs, parseCgroupMounts, type CgroupFs, type CgroupMount } from './cgroup-fs.js';
export { GROUP_ENV, ENTER_FAILED_STATUS } from './enter-argv.js';
export { groupKey } from './group-key.js';
