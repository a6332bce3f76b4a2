import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, waitFor } from '@shoal/testing';
import { isAlive } from '../support/processes.js';
import { childrenOf, startShoalUp } from '../support/shoal-up.js';

const disposables = new Disposables();
afterAll(() => disposables.disposeAll(), 90_000);

const PLAN = (nodeId: string) => `name: after-restart
teams:
  - name: ops
phases:
  - id: check
    tasks:
      - id: ping
        team: ops
        role: Ping
        command: ["sh", "-c", "echo pong-from-${nodeId}"]
`;

describe('shoal up supervises what it starts', () => {
  it('restarts a node-agent killed with -9 and says so; the cluster file is 0600; Ctrl-C stops everything and removes it', async () => {
    const nodeId = `sup-${Date.now().toString(36)}`;
    // -v: every child's log on the terminal too, and still no secret in it.
    const up = await startShoalUp(disposables, { nodeId, args: ['-v'] });
    const file = join(up.dir, 'cluster.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(up.cluster.token).toMatch(/^shoal_admin_/);
    // The join command for other hosts is printed; the admin token never is.
    const out = () => up.proc.stdout.join('\n');
    expect(out()).toMatch(/^ {2}shoal join http:\/\/127\.0\.0\.1:\d+ --token shoaljoin_\S+$/m);
    expect(out()).not.toContain(up.cluster.token);
    expect(out()).toMatch(/^\[coordinator\] /m);
    expect(out().match(/shoaljoin_[\w-]+/g)?.length).toBe(1);
    expect(out()).not.toMatch(/\bSU[A-Z2-7]{56}\b/);

    const before = (await childrenOf(up.proc.pid)).find((c) => c.args.includes('node-agent/dist/main.js'));
    expect(before).toBeDefined();
    process.kill(before!.pid, 'SIGKILL');
    await up.proc.waitForLine(/^node-agent exited \(signal SIGKILL\); restarting in 1 s \(restart 1\)$/, 30_000);
    const after = await waitFor(
      async () => (await childrenOf(up.proc.pid)).find((c) => c.args.includes('node-agent/dist/main.js') && c.pid !== before!.pid),
      { timeoutMs: 30_000, what: 'a new node-agent child' },
    );
    // The restarted node-agent (its own credentials, no join token) is alive and takes work.
    await waitFor(
      async () => {
        const res = await up.fetch('/nodes');
        const nodes = (await res.json()) as { id: string; state: string }[];
        return nodes.some((n) => n.id === nodeId && n.state === 'alive');
      },
      { timeoutMs: 30_000, what: `node ${nodeId} alive in GET /nodes` },
    );
    const plan = join(up.dir, 'ping.yaml');
    writeFileSync(plan, PLAN(nodeId));
    const run = await up.cli(['run', plan, '--follow']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`task ping#1 succeeded on ${nodeId}`));
    expect(isAlive(after.pid)).toBe(true);

    const children = await childrenOf(up.proc.pid);
    up.proc.child.kill('SIGINT');
    const exit = await up.proc.exited;
    expect(exit.code).toBe(0);
    expect(out()).toMatch(/^SIGINT: stopping node-agent, coordinator and nats-server\.\.\.$/m);
    expect(up.proc.stdout.filter((l) => l.trim()).at(-1)).toBe('stopped.');
    expect(out()).not.toMatch(/restarting in .*\(restart 2\)/);
    expect(children.filter((c) => isAlive(c.pid))).toEqual([]);
    expect(existsSync(file)).toBe(false);
  }, 240_000);

  it('gives up on a nats-server that cannot start again: says so, stops the rest, removes the cluster file, exits non-zero', async () => {
    const up = await startShoalUp(disposables, { nodeId: `giveup-${Date.now().toString(36)}` });
    const file = join(up.dir, 'cluster.json');
    const children = await childrenOf(up.proc.pid);
    const nats = children.find((c) => /nats-server/.test(c.args));
    expect(nats).toBeDefined();
    // A broken config: every restart exits at once.
    writeFileSync(join(up.dir, 'nats', 'nats.conf'), 'listen: "127.0.0.1:not-a-port"\n');
    process.kill(nats!.pid, 'SIGKILL');
    const exit = await up.proc.exited;
    const out = up.proc.stdout.join('\n');
    expect(out).toContain('nats-server exited (signal SIGKILL); restarting in 1 s (restart 1)');
    expect(out).toMatch(/nats-server exited \(code 1\); restarting in 2 s \(restart 2\)/);
    expect(out).toMatch(/nats-server exited \(code 1\); it failed 5 times within 2 min: giving up/);
    expect(out).toContain('nats-server could not be kept running: stopping the rest and removing the cluster file.');
    expect(exit.code).toBe(1);
    expect(existsSync(file)).toBe(false);
    expect(children.filter((c) => isAlive(c.pid))).toEqual([]);
  }, 240_000);

  it('a shoal up killed with -9 leaves its children running; the next one on the data dir stops them, reuses the node credentials and comes up', async () => {
    const nodeId = `again-${Date.now().toString(36)}`;
    const first = await startShoalUp(disposables, { nodeId });
    const children = await childrenOf(first.proc.pid);
    expect(children).toHaveLength(3);
    // If the test fails before the next `up` cleans up, the orphans still go.
    disposables.add(() => children.forEach((c) => isAlive(c.pid) && process.kill(c.pid, 'SIGKILL')));
    const credentials = join(first.dir, 'node', nodeId, 'credentials.json');
    const key = (JSON.parse(readFileSync(credentials, 'utf8')) as { publicKey: string }).publicKey;
    first.proc.child.kill('SIGKILL');
    await first.proc.exited;
    expect(children.filter((c) => isAlive(c.pid))).toHaveLength(3);

    const second = await startShoalUp(disposables, { nodeId, again: first });
    const out = second.proc.stdout.join('\n');
    expect(out).toMatch(new RegExp(`^stopping what an earlier shoal up \\(pid ${first.proc.pid}\\) left running: nats-server \\(pid ${children[0]!.pid}\\), coordinator \\(pid ${children[1]!.pid}\\), node-agent \\(pid ${children[2]!.pid}\\)$`, 'm'));
    expect(children.filter((c) => isAlive(c.pid))).toEqual([]);
    // Same node, same key: no new enrolment; its credentials now point at the new NATS port.
    const creds = JSON.parse(readFileSync(credentials, 'utf8')) as { publicKey: string; servers: string[] };
    expect(creds.publicKey).toBe(key);
    expect(creds.servers).toEqual([second.cluster.nats]);
    const nodes = (await (await second.fetch('/nodes')).json()) as { id: string; state: string }[];
    expect(nodes.filter((n) => n.state === 'alive').map((n) => n.id)).toEqual([nodeId]);
    // A second `up` on the same data dir while this one runs is refused.
    const third = await second.cli(['up', '--data-dir', second.dir, '--port', '0', '--nats-port', '-1', '--run-as', 'off']);
    expect(third.code).toBe(2);
    expect(third.stderr).toMatch(/a cluster is already up with this data dir \(shoal up pid \d+/);
    // Its credentials lost (deleted, or another data dir): the next `up` revokes the old identity and enrols the node again.
    await second.proc.stop('SIGINT', 30_000);
    rmSync(credentials);
    const fourth = await startShoalUp(disposables, { nodeId, again: second });
    const renewed = JSON.parse(readFileSync(credentials, 'utf8')) as { publicKey: string };
    expect(renewed.publicKey).not.toBe(key);
    await waitFor(async () => ((await (await fourth.fetch('/nodes')).json()) as { id: string; state: string }[]).some((n) => n.id === nodeId && n.state === 'alive'), { timeoutMs: 60_000, what: 'the re-enrolled node alive' });
  }, 360_000);
});
