import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { buildEnterArgv, buildFallbackArgv, ENTER_FAILED_STATUS, ENTER_SCRIPT, FALLBACK_SCRIPT } from './enter-argv.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-enter-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const printArgv = [process.execPath, '-e', 'process.stdout.write(JSON.stringify([process.argv.slice(1), process.env.SHOAL_GOVERNOR_GROUP]))', '--'];

function hostile(canary: string): string[] {
  return [`; touch ${canary}`, `$(touch ${canary})`, `\`touch ${canary}\``, `'"; touch ${canary}`, `\ntouch ${canary}`, '$1 "$@" *', '', '-c'];
}

describe('entry argv', () => {
  it('keeps user data out of the script and passes it positionally', () => {
    const canary = join(dir, 'canary');
    const argv = buildEnterArgv('shoal/t', ['/x/cgroup.procs'], ['echo', ...hostile(canary)]);
    expect(argv.slice(0, 7)).toEqual(['/bin/sh', '-c', ENTER_SCRIPT, 'shoal-enter', 'shoal/t', '1', '/x/cgroup.procs']);
    expect(ENTER_SCRIPT).not.toContain('touch');
    expect(buildFallbackArgv('shoal/t', ['a'])[2]).toBe(FALLBACK_SCRIPT);
  });

  it('joins every procs file with its own pid, then runs the argv literally', () => {
    const canary = join(dir, 'canary');
    const files = [join(dir, 'a.procs'), join(dir, 'with space $(x).procs')];
    for (const f of files) writeFileSync(f, '');
    const weird = hostile(canary);
    const [cmd, ...args] = buildEnterArgv('shoal/t', files, [...printArgv, ...weird]);
    const result = spawnSync(cmd!, args, { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([weird, 'shoal/t']);
    const pids = files.map((f) => readFileSync(f, 'utf8'));
    expect(pids[0]).toMatch(/^\d+\n$/);
    expect(pids[1]).toBe(pids[0]);
    expect(existsSync(canary)).toBe(false);
  });

  it('never runs the command when a group cannot be joined', () => {
    const marker = join(dir, 'ran');
    const [cmd, ...args] = buildEnterArgv('shoal/t', [join(dir, 'missing', 'cgroup.procs')], ['touch', marker]);
    expect(spawnSync(cmd!, args).status).toBe(ENTER_FAILED_STATUS);
    expect(existsSync(marker)).toBe(false);
  });

  it('fallback: runs the argv literally as a child and returns its status', () => {
    const canary = join(dir, 'canary');
    const weird = hostile(canary);
    const [cmd, ...args] = buildFallbackArgv('shoal/f', [...printArgv, ...weird]);
    const result = spawnSync(cmd!, args, { encoding: 'utf8' });
    expect(JSON.parse(result.stdout)).toEqual([weird, 'shoal/f']);
    const [c2, ...a2] = buildFallbackArgv('shoal/f', ['/bin/sh', '-c', 'exit 7']);
    expect(spawnSync(c2!, a2).status).toBe(7);
    expect(existsSync(canary)).toBe(false);
  });

  it('fallback: the entry shell stays the parent, so the command can be stopped without stopping it', async () => {
    const [cmd, ...args] = buildFallbackArgv('shoal/f', [process.execPath, '-e', 'process.stdout.write(String(process.ppid))']);
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    expect(Number(out)).toBe(child.pid);
  });

  it.each([
    ['cgroup entry', (argv: string[]) => buildEnterArgv('shoal/t', [], argv)],
    ['fallback', (argv: string[]) => buildFallbackArgv('shoal/f', argv)],
  ])('%s: ends as its command did, a signal included, and outlives a Ctrl-C its command outlives', async (_, wrap) => {
    const sh = (script: string) => {
      const [cmd, ...args] = wrap(['/bin/sh', '-c', script]);
      return spawnSync(cmd!, args, { encoding: 'utf8', timeout: 20_000 });
    };
    expect(sh('exit 7').status).toBe(7);
    expect(sh('kill -TERM $$').signal).toBe('SIGTERM');
    expect(sh('kill -KILL $$').signal).toBe('SIGKILL');
    expect(sh('exit 130')).toMatchObject({ status: null, signal: 'SIGINT' }); // a shell's word for "killed by SIGINT"
    // SIGINT to the whole group (what Ctrl-C does): the command traps it and exits 0; its entry shell outlives the signal and ends the same way
    const [cmd, ...args] = wrap(['/bin/sh', '-c', 'trap "echo got-int; exit 0" INT; echo ready; while :; do sleep 0.05; done']);
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const ended = new Promise<[number | null, string | null]>((resolve) => child.on('close', (code, signal) => resolve([code, signal])));
    for (let i = 0; i < 400 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 25));
    process.kill(-child.pid!, 'SIGINT');
    expect(await ended).toEqual([0, null]);
    expect(out).toBe('ready\ngot-int\n');
  });

  it('rejects empty argv and NUL bytes', () => {
    expect(() => buildEnterArgv('m', [], [])).toThrow(expect.objectContaining({ code: 'E_VALIDATION' }));
    expect(() => buildFallbackArgv('m', ['a\0b'])).toThrow(expect.objectContaining({ code: 'E_VALIDATION' }));
  });
});
