import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DependencyError } from '@shoal/protocol';
import { nodeCgroupFs, parseCgroupMounts, type CgroupFs, type CgroupMount } from './cgroup-fs.js';
import { removeDir } from './cgroup-group.js';
import { CgroupV1Governor, type V1Mounts } from './cgroup-v1.js';
import { CgroupV2Governor } from './cgroup-v2.js';
import { FallbackGovernor, type FallbackOptions } from './fallback.js';
import type { GovernorKind, GovernorOptions, ResourceGovernor } from './types.js';

/** Options of detection: shared governor options plus where to look. */
export interface DetectOptions extends GovernorOptions, Pick<FallbackOptions, 'sampleMs'> {
  /** /proc/self/mountinfo text; read from `procRoot` when absent. */
  mountinfo?: string;
  fs?: CgroupFs;
  now?: () => number;
  /** Use this kind regardless of preference (e.g. `fallback` on a host whose cgroups are managed elsewhere). */
  force?: GovernorKind | undefined;
}

/** The result of probing one governor kind on this host. */
export type GovernorProbe =
  | { kind: GovernorKind; available: true; governor: ResourceGovernor }
  | { kind: GovernorKind; available: false; reason: string };

/** Preference order: the first available kind wins. */
export const GOVERNOR_ORDER: readonly GovernorKind[] = ['cgroup-v2', 'cgroup-v1', 'fallback'];

/** Picks the v1 hierarchies to use from the mounts; null unless both cpu and memory are mounted. */
export function pickV1Mounts(mounts: CgroupMount[]): V1Mounts | null {
  const find = (c: string) => mounts.find((m) => m.version === 1 && m.controllers.includes(c))?.mountPoint;
  const cpu = find('cpu');
  const memory = find('memory');
  if (!cpu || !memory) return null;
  const v1: V1Mounts = { cpu, memory };
  const cpuacct = find('cpuacct');
  const pids = find('pids');
  if (cpuacct) v1.cpuacct = cpuacct;
  if (pids) v1.pids = pids;
  return v1;
}

/**
 * Probes every governor kind: a cgroup kind is available only when its parent group can be made
 * and a probe child shows the limit files (so a v2 mount without cpu/memory falls through).
 */
export async function probeGovernors(options: DetectOptions = {}): Promise<GovernorProbe[]> {
  const fs = options.fs ?? nodeCgroupFs;
  const mountinfo = options.mountinfo ?? (await readFile(join(options.procRoot ?? '/proc', 'self/mountinfo'), 'utf8'));
  const mounts = parseCgroupMounts(mountinfo);
  const prefix = options.prefix ?? 'shoal';
  const common = { ...options, fs };
  const probes: GovernorProbe[] = [];

  const v2Mount = mounts.find((m) => m.version === 2)?.mountPoint;
  if (!v2Mount) probes.push({ kind: 'cgroup-v2', available: false, reason: 'no cgroup2 mount' });
  else {
    const governor = new CgroupV2Governor({ ...common, root: v2Mount });
    probes.push(
      await probe('cgroup-v2', governor, () => governor.prepare(), fs, [join(v2Mount, prefix)], ['cpu.max', 'memory.max']),
    );
  }

  const v1 = pickV1Mounts(mounts);
  if (!v1) probes.push({ kind: 'cgroup-v1', available: false, reason: 'cpu and memory v1 hierarchies not both mounted' });
  else {
    const governor = new CgroupV1Governor({ ...common, mounts: v1 });
    probes.push(
      await probe('cgroup-v1', governor, () => governor.prepare(), fs, [join(v1.cpu, prefix), join(v1.memory, prefix)], [
        'cpu.cfs_quota_us',
        'memory.limit_in_bytes',
      ]),
    );
  }

  probes.push({ kind: 'fallback', available: true, governor: new FallbackGovernor(options) });
  return probes;
}

/** The best governor available on this host (cgroup v2, then v1, then the portable fallback). */
export async function detectGovernor(options: DetectOptions = {}): Promise<ResourceGovernor> {
  if (options.force === 'fallback') return new FallbackGovernor(options);
  const probes = await probeGovernors(options);
  if (options.force) {
    const forced = probes.find((p) => p.kind === options.force)!;
    if (!forced.available) throw new DependencyError(`governor ${options.force} is not available here: ${forced.reason}`);
    return forced.governor;
  }
  for (const p of probes) if (p.available) return p.governor;
  return new FallbackGovernor(options);
}

async function probe(
  kind: GovernorKind,
  governor: ResourceGovernor,
  prepare: () => Promise<void>,
  fs: CgroupFs,
  parents: string[],
  files: string[],
): Promise<GovernorProbe> {
  try {
    await prepare();
    const name = `probe-${randomBytes(4).toString('hex')}`;
    const missing: string[] = [];
    for (const parent of parents) {
      const dir = join(parent, name);
      await fs.mkdir(dir);
      try {
        for (const f of files) if ((await fs.exists(join(dir, f))) === false) missing.push(f);
      } finally {
        await removeDir(fs, dir);
      }
    }
    // v1 lists each file in only one hierarchy: a file is missing only if no parent has it.
    const absent = files.filter((f) => missing.filter((m) => m === f).length === parents.length);
    if (absent.length) return { kind, available: false, reason: `probe group lacks ${absent.join(', ')}` };
    return { kind, available: true, governor };
  } catch (e) {
    return { kind, available: false, reason: e instanceof Error ? e.message : String(e) };
  }
}
