import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, freePort, spawnProcess, tempDir } from '@shoal/testing';
import { ROOT } from '../support/cluster.js';
import { isAlive } from '../support/processes.js';

const exec = promisify(execFile);
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const disposables = new Disposables();
afterAll(() => disposables.disposeAll(), 60_000);

/** Child processes of `pid` with their command lines. */
async function childrenOf(pid: number): Promise<{ pid: number; args: string }[]> {
  const { stdout } = await exec('ps', ['-o', 'pid=,args=', '--ppid', String(pid)]).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => ({ pid: Number(l.trim().split(/\s+/)[0]), args: l.trim().replace(/^\d+\s+/, '') }));
}

describe('shoal CLI end to end', () => {
  it('`shoal up`, then `shoal run examples/hybrid.yaml --follow` exits 0; Ctrl-C leaves nothing behind', async () => {
    const dir = tempDir();
    disposables.add(() => dir.dispose());
    const socket = `shoal-cli-${process.pid}-${Date.now().toString(36)}`;
    disposables.add(() => exec('tmux', ['-L', socket, 'kill-server']).catch(() => undefined));
    const port = await freePort();
    const cgroupPrefix = `shoal-test-cli-${Date.now().toString(36)}`;
    const upProc = spawnProcess([process.execPath, CLI, 'up', '--data-dir', dir.path, '--port', String(port), '--tmux-socket', socket, '--node-id', 'cli-node', '--pulse', '1000', '--nats-port', '-1', '--run-as', 'off'], {
      name: 'shoal up',
      env: { ...process.env, SHOAL_NS: `cli${Date.now().toString(36)}`, SHOAL_HOST_CPU_HIGH: '100', SHOAL_CPU_BAND: 'off', SHOAL_GOVERNOR_PREFIX: cgroupPrefix },
    });
    disposables.add(() => upProc.stop('SIGKILL', 5000));
    await upProc.waitForLine(/Shoal is up/, 120_000);
    const cluster = JSON.parse(readFileSync(join(dir.path, 'cluster.json'), 'utf8')) as { api: string };
    expect(cluster.api).toBe(`http://127.0.0.1:${port}`);

    // The CLI finds the admin token in the cluster file of SHOAL_HOME.
    const cliEnv = { ...process.env, SHOAL_HOME: dir.path };
    const run = spawnProcess([process.execPath, CLI, '--api', cluster.api, 'run', join(ROOT, 'examples/hybrid.yaml'), '--follow'], { name: 'shoal run', env: cliEnv });
    const exit = await run.exited;
    const output = run.stdout.join('\n');
    expect({ code: exit.code, output }).toEqual({ code: 0, output: expect.stringContaining('succeeded') });
    expect(output).toMatch(/phase combine succeeded/);
    expect(output).toMatch(/task c#1 succeeded on cli-node exit 0/);

    const status = await exec(process.execPath, [CLI, '--api', cluster.api, 'nodes'], { env: cliEnv });
    expect(status.stdout).toMatch(/cli-node\s+alive/);
    expect(status.stdout).toMatch(/ warm [0-2]\/2 /);

    const children = await childrenOf(upProc.pid);
    expect(children.map((c) => c.args).join('\n')).toMatch(/nats-server[\s\S]*coordinator[\s\S]*node-agent/);
    upProc.child.kill('SIGINT');
    const upExit = await upProc.exited;
    expect(upExit.code).toBe(0);
    expect(children.filter((c) => isAlive(c.pid))).toEqual([]);
    await expect(exec('tmux', ['-L', socket, 'ls'])).rejects.toThrow();
    expect(existsSync(join(dir.path, 'cluster.json'))).toBe(false);
    const hierarchies = existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : [];
    expect(hierarchies.filter((h) => existsSync(join('/sys/fs/cgroup', h, cgroupPrefix)))).toEqual([]);
  }, 240_000);

  it('`shoal run` of an invalid plan lists the problems and exits non-zero without a cluster', async () => {
    const dir = tempDir();
    disposables.add(() => dir.dispose());
    const plan = join(dir.path, 'bad.yaml');
    await import('node:fs/promises').then((fs) => fs.writeFile(plan, 'name: Bad Name\nteams: []\nphases: []\nextra: 1\n'));
    const res = await exec(process.execPath, [CLI, '--api', 'http://127.0.0.1:9', 'run', plan]).catch((e: { code: number; stderr: string }) => e);
    expect(res).toMatchObject({ code: 2 });
    const stderr = (res as { stderr: string }).stderr;
    expect(stderr).toContain('name:');
    expect(stderr).toContain('teams:');
    expect(stderr).toContain('unknown field(s): extra');
  });
});
