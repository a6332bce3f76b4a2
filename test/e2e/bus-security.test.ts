import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { PROTOCOL_VERSION, type TaskDispatched, encode, topology } from '@shoal/protocol';
import { connectNats, readNodeCredentials } from '@shoal/runtime';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type TestCluster, startCluster } from '../support/cluster.js';

/**
 * Fault rows 9 and 10 of RELIABILITY.md on a real bus: nothing anonymous gets in, and a node's
 * identity can touch only its own subjects — above all, no node can forge work for another.
 */
const disposables = new Disposables();
let cluster: TestCluster;
let dir: ReturnType<typeof tempDir>;
const open: NatsConnection[] = [];

const seedOf = (node: string) => readNodeCredentials(join(dir.path, node, 'credentials.json'))!.seed;
const asNode = async (node: string) => {
  const nc = await cluster.bus.connectAsNode(node, seedOf(node));
  open.push(nc);
  return nc;
};

/** A work message that would create `canary` if a node ever ran it. */
function forgedWork(nodeId: string, canary: string, runId: string): TaskDispatched {
  return {
    v: PROTOCOL_VERSION,
    kind: 'task.dispatched',
    runId,
    taskId: 'forged',
    attempt: 1,
    phaseId: 'p',
    nodeId,
    team: 'evil',
    role: 'Evil',
    command: ['sh', '-c', 'touch "$1"', 'sh', canary],
    cpuPercent: 10,
    memoryMb: 256,
    priority: 0,
    dispatchedAt: Date.now(),
  };
}

beforeAll(async () => {
  dir = tempDir('shoal-bus-security-');
  disposables.add(() => dir.dispose());
  cluster = await startCluster(
    ['node-a', 'node-b'].map((id) => ({ nodeId: id, tmuxSocket: tmuxSocket().name, dataDir: join(dir.path, id) })),
    disposables,
  );
}, 180_000);

afterAll(async () => {
  for (const nc of open) await nc.close().catch(() => undefined);
  await disposables.disposeAll();
});

describe('bus security (real nats-server with Shoal identities)', () => {
  it('refuses anonymous clients and unknown keys', async () => {
    await expect(connectNats(cluster.bus.nats.url, 'anonymous')).rejects.toThrow(/Authorization Violation/);
    await expect(connectNats(cluster.bus.nats.url, 'stranger', { seed: 'SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4' })).rejects.toThrow(/Authorization Violation/);
  });

  it('node A cannot forge work: the publish is refused and no process starts, while the same message from the coordinator would run', async () => {
    const topo = topology(cluster.ns);
    const canary = join(dir.path, 'forged-canary');
    const a = await asNode('node-a');
    await expect(jetstream(a).publish(topo.work('node-b'), encode('work', forgedWork('node-b', canary, 'forged-run')))).rejects.toThrow(/Permissions Violation/);
    await expect(jetstream(a).publish(topo.work('node-a'), encode('work', forgedWork('node-a', canary, 'forged-run-self')))).rejects.toThrow(/Permissions Violation/);
    a.publish(topo.work('node-b'), encode('work', forgedWork('node-b', canary, 'forged-core')));
    await a.flush().catch(() => undefined);

    // the control: the identical message, published by the only identity allowed to dispatch, runs
    const control = join(dir.path, 'control-canary');
    const coordinator = await cluster.connect();
    open.push(coordinator);
    await jetstream(coordinator).publish(topo.work('node-b'), encode('work', forgedWork('node-b', control, 'control-run')), { msgID: 'control-run.forged.1' });
    await waitFor(() => existsSync(control), { timeoutMs: 60_000, what: 'the coordinator-published control task to run on node-b' });
    expect(existsSync(canary)).toBe(false);
  }, 120_000);

  it("node A cannot pull node B's work, nor publish B's status, heartbeats or output", async () => {
    const topo = topology(cluster.ns);
    const a = await asNode('node-a');
    await expect(jetstream(a).consumers.get(topo.workStream, topo.nodeConsumer('node-b'))).rejects.toThrow(/Permissions Violation|permission/i);
    await expect(jetstream(a).publish(topo.status('node-b'), new TextEncoder().encode('{}'))).rejects.toThrow(/Permissions Violation/);

    const coordinator = await cluster.connect();
    open.push(coordinator);
    const seen: string[] = [];
    // what arrived carrying node A's forged payload (node-b's own agent keeps heartbeating meanwhile)
    const forged = 'forged by node-a';
    const sub = coordinator.subscribe(`${cluster.ns}.>`, { callback: (_e, m) => m.string() === forged && seen.push(m.subject) });
    await coordinator.flush();
    const violations: string[] = [];
    void (async () => {
      for await (const s of a.status()) if (s.type === 'error') violations.push(String(s.error));
    })();
    for (const subject of [topo.heartbeat('node-b'), topo.output('node-b', 'r', 't'), topo.checkin('node-b', 'r', 't'), topo.control('node-b'), topo.scale]) a.publish(subject, new TextEncoder().encode(forged));
    a.publish(topo.heartbeat('node-a'), new TextEncoder().encode(forged));
    await a.flush();
    await waitFor(() => seen.includes(topo.heartbeat('node-a')) && violations.length >= 5, { timeoutMs: 20_000, what: "node A's own heartbeat delivered and five violations reported" });
    sub.unsubscribe();
    expect(seen.filter((s) => s.includes('node-b') || s === topo.scale)).toEqual([]);
    expect(violations.join('\n')).toMatch(/Permissions Violation for Publish/);
  }, 60_000);

  it("node A cannot read node B's control requests or any other inbox", async () => {
    const topo = topology(cluster.ns);
    const a = await asNode('node-a');
    const errors: string[] = [];
    void (async () => {
      for await (const s of a.status()) if (s.type === 'error') errors.push(String(s.error));
    })();
    a.subscribe(topo.control('node-b'));
    a.subscribe('_INBOX.>');
    a.subscribe(`${topo.ns}.>`);
    await a.flush();
    await waitFor(() => errors.filter((e) => /Permissions Violation for Subscription/.test(e)).length >= 3, { timeoutMs: 20_000, what: 'three subscription violations' });
  }, 60_000);

  it('a node removed from the bus is cut off within one pulse and cannot reconnect', async () => {
    const b = await asNode('node-b');
    const events: { type: string; at: number }[] = [];
    void (async () => {
      for await (const s of b.status()) events.push({ type: s.type, at: Date.now() });
    })();
    const seed = seedOf('node-b');
    cluster.bus.store.removeNode('node-b');
    const t0 = Date.now();
    await cluster.bus.reloadAuthorization();
    const dropped = await waitFor(() => events.find((e) => e.type === 'disconnect'), { timeoutMs: 30_000, intervalMs: 20, what: "the removed node's connection dropped" });
    expect(dropped.at - t0).toBeLessThan(2500);
    await expect(cluster.bus.connectAsNode('node-b', seed)).rejects.toThrow(/Authorization Violation/);
  }, 60_000);
});
