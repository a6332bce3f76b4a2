import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Disposables, type SpawnedProcess, freePort, spawnProcess, tempDir } from '@shoal/testing';
import { ROOT } from './cluster.js';

const exec = promisify(execFile);
/** The built CLI. */
export const CLI = join(ROOT, 'apps/cli/dist/main.js');

/** What `shoal up` writes to its cluster file. */
export interface ClusterFile {
  api: string;
  publicUrl: string;
  nats: string;
  tmuxSocket: string;
  pid: number;
  token: string;
}

/** A `shoal up` started by a test, with its own data dir (SHOAL_HOME), ports, namespace and tmux socket. */
export interface ShoalUp {
  proc: SpawnedProcess;
  dir: string;
  socket: string;
  ns: string;
  /** The environment CLI commands of this test run with (SHOAL_HOME = the data dir). */
  env: NodeJS.ProcessEnv;
  cluster: ClusterFile;
  /** Runs `shoal <args>` against this cluster; never throws. */
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `fetch` of the API with the admin token of the cluster file. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

const tag = () => `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1296).toString(36)}`;

/**
 * Starts `shoal up` (the built CLI) as a process, with `--run-as off` and free ports; resolves once
 * it printed "Shoal is up". Its process, tmux socket and data dir are registered for disposal.
 * `again`: start another `up` on the data dir, namespace and tmux socket of an earlier one.
 */
export async function startShoalUp(disposables: Disposables, o: { nodeId: string; args?: string[]; again?: ShoalUp }): Promise<ShoalUp> {
  const t = tag();
  let dirPath = o.again?.dir;
  if (!dirPath) {
    const dir = tempDir('shoal-up-');
    disposables.add(() => dir.dispose());
    dirPath = dir.path;
  }
  const socket = o.again?.socket ?? `shoal-up-${t}`;
  if (!o.again) disposables.add(() => exec('tmux', ['-L', socket, 'kill-server']).catch(() => undefined));
  const ns = o.again?.ns ?? `up${t}`.slice(0, 30);
  const env = o.again ? { ...o.again.env } : { ...process.env, SHOAL_HOME: dirPath, SHOAL_NS: ns, SHOAL_HOST_CPU_HIGH: '100', SHOAL_CPU_BAND: 'off', SHOAL_GOVERNOR_PREFIX: `shoal-test-${t}` };
  delete env.SHOAL_TOKEN;
  delete env.SHOAL_API;
  const [port, natsPort] = [await freePort(), await freePort()];
  const argv = [process.execPath, CLI, 'up', '--data-dir', dirPath, '--port', String(port), '--nats-port', String(natsPort), '--tmux-socket', socket, '--node-id', o.nodeId, '--pulse', '1000', '--run-as', 'off', ...(o.args ?? [])];
  const proc = spawnProcess(argv, { name: 'shoal up', env });
  disposables.add(async () => {
    if (!proc.exitStatus()) await proc.stop('SIGINT', 30_000);
  });
  await proc.waitForLine(/Shoal is up/, 120_000);
  const cluster = JSON.parse(readFileSync(join(dirPath, 'cluster.json'), 'utf8')) as ClusterFile;
  const cli = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const res = await exec(process.execPath, [CLI, ...args], { env: { ...env, ...extra }, timeout: 180_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
    );
    return res;
  };
  const fetchApi = (path: string, init: RequestInit = {}) => fetch(`${cluster.api}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${cluster.token}` } });
  return { proc, dir: dirPath, socket, ns, env, cluster, cli, fetch: fetchApi };
}

/** Child processes of `pid` with their command lines. */
export async function childrenOf(pid: number): Promise<{ pid: number; args: string }[]> {
  const { stdout } = await exec('ps', ['-o', 'pid=,args=', '--ppid', String(pid)]).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => ({ pid: Number(l.trim().split(/\s+/)[0]), args: l.trim().replace(/^\d+\s+/, '') }));
}
