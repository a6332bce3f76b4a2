import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectNats } from '@shoal/runtime';
import { Disposables, spawnProcess, tempDir, waitFor } from '@shoal/testing';
import { CLI, startShoalUp } from '../support/shoal-up.js';

const exec = promisify(execFile);
const disposables = new Disposables();
afterAll(() => disposables.disposeAll(), 90_000);

const GPU_PLAN = `name: gpu-check
teams:
  - name: ml
phases:
  - id: train
    tasks:
      - id: train
        team: ml
        role: Trainer
        command: ["sh", "-c", "echo trained; sleep 1"]
        requires: { gpu: "yes" }
`;

describe('shoal join: a second host joins with the printed command', () => {
  it('refuses a --data-dir the unprivileged agents could not reach, before enrolling (the join token stays unused)', async () => {
    const hidden = tempDir('shoal-hidden-');
    disposables.add(() => hidden.dispose());
    // the coordinator address is unreachable on purpose: the refusal must come before any request
    const res = await exec(process.execPath, [CLI, 'join', 'http://127.0.0.1:9', '--token', 'shoaljoin_unused', '--node-id', 'hidden', '--data-dir', join(hidden.path, 'node'), '--run-as', 'nobody'], {
      env: { ...process.env, SHOAL_HOME: hidden.path },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(res).toMatchObject({ code: 2, stderr: expect.stringContaining(`--data-dir ${join(hidden.path, 'node')} is out of reach of the unprivileged agents (nobody)`) });
  });

  it('joins node-b, places a task that requires its label there, refuses a used join token, joins node-c with a new one, and `shoal nodes remove` cuts off node-b only', async () => {
    const t = Date.now().toString(36);
    const up = await startShoalUp(disposables, { nodeId: `ctl-${t}` });
    const printed = /^ {2}(shoal join (\S+) --token (\S+))$/m.exec(up.proc.stdout.join('\n'));
    expect(printed).not.toBeNull();
    const [, , url, joinToken] = printed!;
    expect(url).toBe(up.cluster.publicUrl);

    const dirB = tempDir('shoal-node-b-');
    disposables.add(() => dirB.dispose());
    const socketB = `shoal-join-b-${t}`;
    disposables.add(() => exec('tmux', ['-L', socketB, 'kill-server']).catch(() => undefined));
    const joinEnv = { ...up.env, SHOAL_GOVERNOR_PREFIX: `shoal-test-join-b-${t}` };
    const joinB = spawnProcess(
      [process.execPath, CLI, 'join', url!, '--token', joinToken!, '--node-id', 'node-b', '--labels', 'gpu=yes', '--tmux-socket', socketB, '--data-dir', dirB.path, '--run-as', 'off'],
      { name: 'shoal join node-b', env: joinEnv },
    );
    disposables.add(async () => {
      if (!joinB.exitStatus()) await joinB.stop('SIGINT', 30_000);
    });
    await joinB.waitForLine(/^node node-b joined .* \(labels gpu=yes\); credentials in /, 120_000);
    const credentials = join(dirB.path, 'credentials.json');
    expect(statSync(credentials).mode & 0o777).toBe(0o600);

    // `shoal nodes` (token from the cluster file of SHOAL_HOME) lists both, alive.
    await waitFor(
      async () => {
        const r = await up.cli(['nodes']);
        return new RegExp(`^ctl-${t}\\s+alive`, 'm').test(r.stdout) && /^node-b\s+alive .*gpu=yes/m.test(r.stdout);
      },
      { what: 'both nodes alive in `shoal nodes`', timeoutMs: 30_000, intervalMs: 500 },
    );

    // A task that requires gpu=yes runs on node-b: its window is on node-b's tmux socket.
    const plan = join(up.dir, 'gpu.yaml');
    writeFileSync(plan, GPU_PLAN);
    const run = await up.cli(['run', plan, '--follow']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/task train#1 succeeded on node-b exit 0/);
    const windowsB = (await exec('tmux', ['-L', socketB, 'list-windows', '-a', '-F', '#{session_name}:#{window_name}'])).stdout;
    expect(windowsB).toMatch(/^Task-ml:Trainer$/m);
    const windowsCtl = (await exec('tmux', ['-L', up.socket, 'list-windows', '-a', '-F', '#{session_name}:#{window_name}'])).stdout;
    expect(windowsCtl).not.toMatch(/Task-ml/);

    // Once enrolled, the unit file for this node holds no secret.
    const unit = await exec(process.execPath, [CLI, 'join', url!, '--node-id', 'node-b', '--data-dir', dirB.path, '--run-as', 'off', '--print-systemd'], { env: joinEnv });
    expect(unit.stdout).toContain(`ExecStart=${process.execPath} ${CLI} join ${url} --node-id node-b --data-dir ${dirB.path} --run-as off\n`);
    expect(unit.stdout).toMatch(/^KillMode=process$/m);
    expect(unit.stdout).not.toMatch(/TOKEN|shoaljoin_/);

    // The used join token is refused for a third node, with a clear message; nothing is written.
    const dirC = tempDir('shoal-node-c-');
    disposables.add(() => dirC.dispose());
    const socketC = `shoal-join-c-${t}`;
    disposables.add(() => exec('tmux', ['-L', socketC, 'kill-server']).catch(() => undefined));
    const third = await exec(process.execPath, [CLI, 'join', url!, '--token', joinToken!, '--node-id', 'node-c', '--tmux-socket', socketC, '--data-dir', dirC.path, '--run-as', 'off'], {
      env: { ...joinEnv, SHOAL_GOVERNOR_PREFIX: `shoal-test-join-c-${t}` },
      timeout: 120_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(third.code).toBe(2);
    expect(third.stderr).toMatch(/the node-agent did not start: enrolment at .*refused \(401\): join token already used \(by node node-b/);
    expect(existsSync(join(dirC.path, 'credentials.json'))).toBe(false);
    expect((await up.cli(['nodes'])).stdout).not.toMatch(/node-c/);

    // With a fresh token from `shoal token join`, node-c joins: three node-agents, three identities.
    const minted = /^ {2}shoal join (\S+) --token (\S+)$/m.exec((await up.cli(['token', 'join'])).stdout);
    expect(minted?.[1]).toBe(url);
    const joinC = spawnProcess(
      [process.execPath, CLI, 'join', url!, '--token', minted![2]!, '--node-id', 'node-c', '--tmux-socket', socketC, '--data-dir', dirC.path, '--run-as', 'off'],
      { name: 'shoal join node-c', env: { ...joinEnv, SHOAL_GOVERNOR_PREFIX: `shoal-test-join-c-${t}` } },
    );
    disposables.add(async () => {
      if (!joinC.exitStatus()) await joinC.stop('SIGINT', 30_000);
    });
    await joinC.waitForLine(/^node node-c joined /, 120_000);
    await waitFor(
      async () => {
        const out = (await up.cli(['nodes'])).stdout;
        return [new RegExp(`^ctl-${t}\\s+alive`, 'm'), /^node-b\s+alive/m, /^node-c\s+alive/m].every((re) => re.test(out));
      },
      { what: 'three nodes alive in `shoal nodes`', timeoutMs: 30_000, intervalMs: 500 },
    );

    // `shoal nodes remove node-b`: its credentials stop working at once.
    const removed = await up.cli(['nodes', 'remove', 'node-b']);
    expect({ code: removed.code, stdout: removed.stdout, stderr: removed.stderr }).toEqual({ code: 0, stdout: 'node node-b removed: its credentials no longer work\n', stderr: '' });
    const creds = JSON.parse(readFileSync(credentials, 'utf8')) as { servers: string[]; seed: string; inboxPrefix: string };
    // a refused connection says why; a connect timeout (a busy machine) proves nothing either way: ask again
    const refusal = await waitFor(
      async () => {
        const outcome = await connectNats(creds.servers, 'removed-node-b', { seed: creds.seed, inboxPrefix: creds.inboxPrefix }).then(
          async (nc) => {
            await nc.close();
            return 'connected with removed credentials';
          },
          (e: Error) => e.message,
        );
        return /timeout/i.test(outcome) ? undefined : outcome;
      },
      { what: 'a conclusive answer to a connection with the removed credentials', timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(refusal).toMatch(/Authorization Violation/);
    // `shoal join` stops trying: exit 3 (a systemd unit does not restart on it).
    const joinExit = await joinB.exited;
    expect(joinExit.code).toBe(3);
    expect(joinB.stdout.join('\n')).toMatch(/node-b is no longer part of the cluster: stopped\./);
    await waitFor(
      async () => {
        const nodes = (await (await up.fetch('/nodes')).json()) as { id: string; state: string }[];
        return !nodes.some((n) => n.id === 'node-b' && n.state === 'alive');
      },
      { what: 'node-b no longer alive', timeoutMs: 30_000, intervalMs: 500 },
    );
    // Only node-b was cut off.
    const left = (await (await up.fetch('/nodes')).json()) as { id: string; state: string }[];
    expect(left.filter((n) => n.state === 'alive').map((n) => n.id).sort()).toEqual([`ctl-${t}`, 'node-c']);
    expect(joinC.exitStatus()).toBeUndefined();
  }, 300_000);

  it('with `--tls generate`: the API is HTTPS and NATS TLS under a private CA; a host joins with --tls-ca, a client without the CA is told what to do', async () => {
    const t = Date.now().toString(36);
    const up = await startShoalUp(disposables, { nodeId: `tls-${t}`, args: ['--tls', 'generate'] });
    expect(up.cluster.api).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(up.cluster.nats).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    const printed = /^ {2}shoal join (\S+) --token (\S+) --tls-ca (\S+)$/m.exec(up.proc.stdout.join('\n'));
    expect(printed).not.toBeNull();
    const [, url, joinToken, ca] = printed!;
    expect(ca).toBe(join(up.dir, 'tls', 'ca.pem'));

    const dirB = tempDir('shoal-node-tls-');
    disposables.add(() => dirB.dispose());
    const socketB = `shoal-join-tls-${t}`;
    disposables.add(() => exec('tmux', ['-L', socketB, 'kill-server']).catch(() => undefined));
    const joinB = spawnProcess(
      [process.execPath, CLI, 'join', url!, '--token', joinToken!, '--tls-ca', ca!, '--node-id', 'node-tls', '--tmux-socket', socketB, '--data-dir', dirB.path, '--run-as', 'off'],
      { name: 'shoal join node-tls', env: { ...up.env, SHOAL_GOVERNOR_PREFIX: `shoal-test-join-tls-${t}` } },
    );
    disposables.add(async () => {
      if (!joinB.exitStatus()) await joinB.stop('SIGINT', 30_000);
    });
    await joinB.waitForLine(/^node node-tls joined /, 120_000);
    const creds = JSON.parse(readFileSync(join(dirB.path, 'credentials.json'), 'utf8')) as { servers: string[]; caPem?: string };
    expect(creds.servers).toEqual([up.cluster.nats]);
    expect(creds.caPem).toBe(readFileSync(ca!, 'utf8'));
    await waitFor(
      async () => {
        const r = await up.cli(['nodes']);
        return new RegExp(`^tls-${t}\\s+alive`, 'm').test(r.stdout) && /^node-tls\s+alive/m.test(r.stdout);
      },
      { what: 'both nodes alive in `shoal nodes` over HTTPS', timeoutMs: 30_000, intervalMs: 500 },
    );
    const untrusting = await up.cli(['--api', up.cluster.api, '--token', up.cluster.token, 'nodes'], { SHOAL_HOME: dirB.path });
    expect(untrusting.code).toBe(2);
    expect(untrusting.stderr).toMatch(/certificate is not trusted: pass --tls-ca <ca.pem> or set SHOAL_CA_FILE/);
    const trusting = await up.cli(['--api', up.cluster.api, '--token', up.cluster.token, 'nodes'], { SHOAL_HOME: dirB.path, SHOAL_CA_FILE: ca! });
    expect(trusting).toMatchObject({ code: 0, stdout: expect.stringMatching(/^node-tls\s+alive/m) });
  }, 300_000);

  it('token commands: a read token may list nodes but not submit (403 names the scope), a revoked one is refused (401), join tokens come with the command', async () => {
    const up = await startShoalUp(disposables, { nodeId: `tok-${Date.now().toString(36)}` });
    const created = await up.cli(['token', 'create', '--scope', 'read', '--name', 'dashboard']);
    expect(created.code).toBe(0);
    const [, id] = /^token (\S+) \(read, dashboard\)/.exec(created.stdout) ?? [];
    const token = created.stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^shoal_read_/);
    const listed = await up.cli(['token', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+read\\s+\\S+\\s+dashboard$`, 'm'));
    expect(listed.stdout).not.toContain(token);

    expect(await up.cli(['nodes'], { SHOAL_TOKEN: token })).toMatchObject({ code: 0, stdout: expect.stringMatching(/alive/) });
    const plan = join(up.dir, 'p.yaml');
    writeFileSync(plan, GPU_PLAN.replace(/ {8}requires.*\n/, ''));
    const refused = await up.cli(['run', plan], { SHOAL_TOKEN: token });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/error 403 .*needs scope operate/);
    expect(refused.stderr).toMatch(/This needs a token of scope operate; the token from SHOAL_TOKEN has a weaker scope.*shoal token create --scope operate/);

    expect(await up.cli(['token', 'revoke', id!])).toMatchObject({ code: 0, stdout: `token ${id} revoked\n` });
    const revoked = await up.cli(['nodes'], { SHOAL_TOKEN: token });
    expect(revoked.code).toBe(2);
    expect(revoked.stderr).toMatch(/error 401 .*\n {2}The token from SHOAL_TOKEN was not accepted/);
    const none = await up.cli(['--api', up.cluster.api, 'nodes'], { SHOAL_HOME: up.dir + '-elsewhere' });
    expect(none.stderr).toMatch(/The API needs a token and this command sent no token \(pass --token, set SHOAL_TOKEN/);

    const minted = await up.cli(['token', 'join', '--ttl', '10m']);
    expect(minted.code).toBe(0);
    const expires = /valid until (\S+)\):/.exec(minted.stdout)?.[1];
    expect(Math.abs(Date.parse(expires!) - Date.now() - 600_000)).toBeLessThan(60_000);
    expect(minted.stdout).toMatch(new RegExp(`^ {2}shoal join ${up.cluster.publicUrl} --token shoaljoin_\\S+$`, 'm'));
  }, 180_000);
});
