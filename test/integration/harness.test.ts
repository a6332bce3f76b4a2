import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { jest } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import {
  Disposables,
  freePort,
  HarnessError,
  isDockerAvailable,
  isHarnessError,
  locateNatsServer,
  spawnProcess,
  startNats,
  startNatsCluster,
  tmuxSocket,
  waitFor,
} from '@shoal/testing';

/** Alive means: exists and is not a zombie (PID 1 in a container may never reap orphans). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter(isAlive);
}

jest.setTimeout(120_000);

const enc = (s: string) => new TextEncoder().encode(s);
const cleanup = new Disposables();
afterEach(() => cleanup.disposeAll());

async function connected(servers: string | string[]): Promise<NatsConnection> {
  const nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  cleanup.add(() => nc.close());
  return nc;
}

describe('startNats', () => {
  it('serves JetStream: a stream takes an acked publish and returns it', async () => {
    const nats = cleanup.use(await startNats());
    expect(nats.url).toMatch(/^nats:\/\/[^:]+:\d+$/);
    const nc = await connect({ ...nats.connectOptions });
    cleanup.add(() => nc.close());
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'HARNESS', subjects: ['harness.>'], storage: StorageType.File });
    const ack = await jetstream(nc).publish('harness.one', enc('hello'), { msgID: 'one' });
    expect(ack).toMatchObject({ stream: 'HARNESS', seq: 1, duplicate: false });
    const again = await jetstream(nc).publish('harness.one', enc('hello'), { msgID: 'one' });
    expect(again.duplicate).toBe(true);
    const stored = await jsm.streams.getMessage('HARNESS', { seq: 1 });
    expect(stored?.string()).toBe('hello');
    expect(stored?.subject).toBe('harness.one');
  });

  it('uses Docker only when an engine answers, else the local binary', async () => {
    const nats = cleanup.use(await startNats());
    expect(nats.kind).toBe((await isDockerAvailable()) ? 'docker' : 'local');
  });

  it('runs two servers in parallel on different ports and data dirs', async () => {
    const [a, b] = await Promise.all([startNats(), startNats()]);
    cleanup.use(a);
    cleanup.use(b);
    expect(a.port).not.toBe(b.port);
    expect(a.dataDir).not.toBe(b.dataDir);
    const [na, nb] = [await connected(a.url), await connected(b.url)];
    expect(na.info?.server_id).not.toBe(nb.info?.server_id);
  });

  it('stop() leaves no process and no data dir, and is idempotent', async () => {
    const nats = await startNats({ mode: 'local' });
    cleanup.use(nats);
    const pid = nats.pid!;
    expect(isAlive(pid)).toBe(true);
    expect(existsSync(nats.dataDir)).toBe(true);
    await Promise.all([nats.stop(), nats.stop()]);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(nats.dataDir)).toBe(false);
    expect(nats.pid).toBeUndefined();
  });

  it('kill() + restart() keeps the port and the JetStream data', async () => {
    const nats = cleanup.use(await startNats({ mode: 'local' }));
    const nc = await connected(nats.url);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'KEEP', subjects: ['keep'] });
    await jetstream(nc).publish('keep', enc('survives'));
    const oldPid = nats.pid!;
    await nats.kill();
    expect(isAlive(oldPid)).toBe(false);
    expect(existsSync(nats.dataDir)).toBe(true);
    await nats.restart();
    expect(nats.pid).not.toBe(oldPid);
    const nc2 = await connected(nats.url);
    const stored = await waitFor(() => jetstreamManager(nc2).then((m) => m.streams.getMessage('KEEP', { seq: 1 })), {
      what: 'message 1 of KEEP after restart',
    });
    expect(stored.string()).toBe('survives');
  });

  it('jetstream: false gives a core-only server', async () => {
    const nats = cleanup.use(await startNats({ jetstream: false }));
    const nc = await connected(nats.url);
    await expect(jetstreamManager(nc, { timeout: 1000 }).then((m) => m.getAccountInfo())).rejects.toThrow(
      /jetstream is not enabled|no responders/,
    );
  });

  it('fails with START_FAILED and the server output when nats-server does not come up', async () => {
    const saved = process.env.NATS_SERVER_BIN;
    process.env.NATS_SERVER_BIN = process.execPath; // node rejects nats-server's flags and exits
    try {
      const err = await startNats({ mode: 'local' }).catch((e: unknown) => e);
      expect(isHarnessError(err, 'START_FAILED')).toBe(true);
      expect((err as Error).message).toMatch(/did not become ready[\s\S]*exited \(code \d+[\s\S]*\[err\] .*bad option/);
    } finally {
      if (saved === undefined) delete process.env.NATS_SERVER_BIN;
      else process.env.NATS_SERVER_BIN = saved;
    }
  });

  it('reports a missing NATS_SERVER_BIN clearly', () => {
    expect(() => locateNatsServer({ ...process.env, NATS_SERVER_BIN: '/nonexistent/nats-server' })).toThrow(
      /NATS_SERVER_BIN=\/nonexistent\/nats-server is not an executable/,
    );
  });
});

describe('isDockerAvailable', () => {
  async function listen(server: Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise((resolve) => server.close(resolve)));
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  it('answers true when DOCKER_HOST answers /_ping, false for a closed port or a silent engine', async () => {
    const engine = await listen(createServer((req, res) => res.writeHead(req.url === '/_ping' ? 200 : 404).end('OK')));
    const silent = createServer(() => undefined);
    const silentPort = await listen(silent);
    cleanup.add(() => silent.closeAllConnections());
    const closed = await freePort();
    expect(await isDockerAvailable(1000, { DOCKER_HOST: `tcp://127.0.0.1:${engine}` })).toBe(true);
    expect(await isDockerAvailable(1000, { DOCKER_HOST: `tcp://127.0.0.1:${closed}` })).toBe(false);
    const started = Date.now();
    expect(await isDockerAvailable(300, { DOCKER_HOST: `tcp://127.0.0.1:${silentPort}` })).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await isDockerAvailable(1000, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' })).toBe(false);
  });
});

describe('startNatsCluster', () => {
  it('forms an R3 JetStream cluster that keeps taking acked publishes after losing a server', async () => {
    const cluster = cleanup.use(await startNatsCluster(3));
    expect(new Set(cluster.serverNames).size).toBe(3);
    expect(new Set(cluster.servers.map((s) => s.port)).size).toBe(3);
    const nc = await connected(cluster.urls);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.add({ name: 'R3', subjects: ['r3.>'], num_replicas: 3 });
    expect(info.cluster?.replicas).toHaveLength(2);
    const js = jetstream(nc);
    expect((await js.publish('r3.a', enc('before'), { msgID: 'a' })).seq).toBe(1);

    const leaderName = (await jsm.streams.info('R3')).cluster!.leader!;
    const victim = cluster.servers[cluster.serverNames.indexOf(leaderName)]!;
    const victimPid = victim.pid!;
    await victim.kill();
    expect(isAlive(victimPid)).toBe(false);

    const ack = await waitFor(() => js.publish('r3.b', enc('after'), { msgID: 'b', timeout: 2000 }), {
      what: 'an acked publish to R3 after killing its leader',
      timeoutMs: 60_000,
    });
    expect(ack.seq).toBe(2);
    await cluster.waitForMetaLeader();
    const bodies = await Promise.all([1, 2].map((seq) => jsm.streams.getMessage('R3', { seq })));
    expect(bodies.map((m) => m?.string())).toEqual(['before', 'after']);

    const pids = cluster.servers.map((s) => s.pid).filter((p): p is number => p !== undefined);
    await cluster.stop();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(cluster.servers.filter((s) => existsSync(s.dataDir))).toEqual([]);
  });
});

describe('tmuxSocket', () => {
  it('uses a private socket and dispose() leaves no server behind', async () => {
    const tmux = tmuxSocket();
    cleanup.add(() => tmux.dispose());
    expect(tmux.name).toMatch(/^shoal-test-[0-9a-f]+$/);
    expect(await tmux.sessions()).toEqual([]);
    await tmux.tmux(['new-session', '-d', '-s', 'team-a', 'sleep', '300']);
    expect(await tmux.sessions()).toEqual(['team-a']);
    expect(processesMentioning(tmux.name).length).toBeGreaterThan(0);
    await tmux.dispose();
    await tmux.dispose();
    expect(await tmux.sessions()).toEqual([]);
    await waitFor(() => processesMentioning(tmux.name).length === 0, { what: 'tmux server to exit', timeoutMs: 10_000 });
    expect(existsSync(tmux.socketPath)).toBe(false);
  });

  it('rejects a failing tmux command with COMMAND_FAILED', async () => {
    const tmux = tmuxSocket();
    cleanup.add(() => tmux.dispose());
    await tmux.tmux(['new-session', '-d', '-s', 'x']);
    await expect(tmux.tmux(['kill-session', '-t', 'nope'])).rejects.toMatchObject({ code: 'COMMAND_FAILED' });
  });
});

describe('waitFor', () => {
  it('resolves with the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? { n } : undefined), { what: 'three probes', intervalMs: 1 })).resolves.toEqual({
      n: 3,
    });
  });

  it('names `what` and the last value on timeout', async () => {
    const err = await waitFor(() => 0, { what: 'the answer', timeoutMs: 100, intervalMs: 10 }).catch((e: unknown) => e);
    expect(isHarnessError(err, 'TIMEOUT')).toBe(true);
    expect((err as HarnessError).message).toMatch(/waiting for the answer \(last value 0\)/);
  });

  it('names the last error on timeout', async () => {
    const err = await waitFor(
      () => {
        throw new Error('connection refused');
      },
      { what: 'the port', timeoutMs: 100 },
    ).catch((e: unknown) => e);
    expect((err as HarnessError).message).toMatch(/the port \(last error Error: connection refused\)/);
  });
});

describe('spawnProcess', () => {
  const node = process.execPath;

  it('waits for a readiness line and stops the process with SIGTERM', async () => {
    const p = spawnProcess([node, '-e', 'console.log("listening on 4242"); setInterval(() => {}, 1000)']);
    cleanup.add(() => p.stop('SIGKILL'));
    const m = await p.waitForLine(/listening on (\d+)/, 20_000, 'stdout');
    expect(m[1]).toBe('4242');
    expect(await p.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(isAlive(p.pid)).toBe(false);
  });

  it('fails fast with the output tail when the process exits before the line', async () => {
    const p = spawnProcess([node, '-e', 'console.error("boom: bad config"); process.exit(3)'], { name: 'app' });
    cleanup.add(() => p.stop('SIGKILL'));
    const err = await p.waitForLine(/ready/, 20_000).catch((e: unknown) => e);
    expect(isHarnessError(err, 'PROCESS_EXITED')).toBe(true);
    expect((err as Error).message).toMatch(/app exited \(code 3[\s\S]*boom: bad config/);
  });

  it('escalates to SIGKILL and kills the whole group when detached', async () => {
    const script = [
      'process.on("SIGTERM", () => {});',
      'const c = require("node:child_process").spawn("sleep", ["300"], { stdio: "ignore" });',
      'console.log("child " + c.pid);',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const p = spawnProcess([node, '-e', script], { detached: true });
    cleanup.add(() => p.stop('SIGKILL'));
    const grandchild = Number((await p.waitForLine(/child (\d+)/, 20_000))[1]);
    expect(isAlive(grandchild)).toBe(true);
    const exit = await p.stop('SIGTERM', 300);
    expect(exit.signal).toBe('SIGKILL');
    await waitFor(() => !isAlive(grandchild), { what: `grandchild ${grandchild} to die`, timeoutMs: 10_000 });
  });
});
