import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { MAX_PLAN_BYTES, topology } from '@shoal/protocol';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type TestCluster, startCluster } from '../support/cluster.js';

/**
 * Bounded cost of bad input (issue 9, point 5) against a real secured cluster built from dist/:
 * poison on every subject the coordinator and the node-agent read is refused, counted and
 * logged briefly, and both keep working; oversized, over-limit and error-heavy plans get small
 * answers, and a large JSON plan still goes through the intake workers.
 */
const disposables = new Disposables();
let cluster: TestCluster;
let nc: NatsConnection;

beforeAll(async () => {
  const dir = tempDir('shoal-bad-input-');
  disposables.add(() => dir.dispose());
  const tmux = tmuxSocket();
  disposables.add(() => tmux.dispose());
  cluster = await startCluster([{ nodeId: 'node-a', tmuxSocket: tmux.name, dataDir: join(dir.path, 'node-a') }], disposables);
  nc = await cluster.connect();
  disposables.add(() => nc.close());
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

const enc = (s: string) => new TextEncoder().encode(s);

/** Six kinds of poison, each a different way to be wrong. */
const POISON: Array<[string, Uint8Array]> = [
  ['malformed JSON', enc('{"v":1,"kind":')],
  ['not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b, 0x7d])],
  ['oversized', enc(JSON.stringify({ v: 1, pad: 'x'.repeat(300 * 1024) }))],
  ['deeply nested', enc('['.repeat(20_000) + ']'.repeat(20_000))],
  ['__proto__', enc('{"__proto__":{"polluted":true},"v":1,"kind":"node.heartbeat","nodeId":"node-a"}')],
  ['wrong types', enc('{"v":"1","kind":42,"nodeId":["node-a"],"runId":{},"attempt":-1}')],
];

async function metric(series: string): Promise<number> {
  const text = await (await cluster.fetch(`${cluster.api}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const linesOf = (p: { stdout: string[]; stderr: string[] }, re: RegExp) => [...p.stdout, ...p.stderr].filter((l) => re.test(l));

const plan = (name: string, n: number) =>
  `name: ${name}\nteams: [{ name: t }]\nphases:\n  - id: p\n    tasks:\n${Array.from({ length: n }, (_, i) => `      - { id: t${i}, team: t, role: R${i}, command: ["true"], resources: { cpu: 1, memory: 256 } }`).join('\n')}\n`;

describe('poison messages on every subject', () => {
  it('are refused and counted, logged one brief line per kind, and the cluster keeps running plans', async () => {
    const ns = cluster.ns;
    const kinds = ['heartbeat', 'output', 'checkin', 'status'] as const;
    const before = Object.fromEntries(await Promise.all(kinds.map(async (k) => [k, await metric(`shoal_malformed_messages_total{kind="${k}"}`)] as const)));
    const coordinatorLines = linesOf(cluster.coordinator, /dropped malformed/).length;
    const workTerminated = linesOf(cluster.agents[0]!, /terminated malformed work message/).length;
    const nodeMalformed = await metric('shoal_node_malformed_messages_total{node="node-a"}');

    const controlReplies: string[] = [];
    for (const [, data] of POISON) {
      // read by the coordinator: heartbeats, output and check-ins (core NATS), status (JetStream)
      nc.publish(`${ns}.hb.node-a`, data);
      nc.publish(`${ns}.out.node-a.some-run.some-task`, data);
      nc.publish(`${ns}.chk.node-a.some-run.some-task`, data);
      nc.publish(`${ns}.status.node-a`, data);
      // read by the node-agent: its work (JetStream) and control requests
      nc.publish(`${ns}.work.node-a`, data);
      const reply = await nc.request(`${ns}.ctl.node-a`, data, { timeout: 10_000 });
      controlReplies.push(new TextDecoder().decode(reply.data));
    }
    await nc.flush();

    for (const r of controlReplies) expect(JSON.parse(r)).toMatchObject({ ok: false, message: expect.any(String) });
    expect(Math.max(...controlReplies.map((r) => r.length))).toBeLessThan(2500);
    await waitFor(
      async () => {
        for (const k of kinds) if ((await metric(`shoal_malformed_messages_total{kind="${k}"}`)) < before[k]! + POISON.length) return false;
        // the node-agent's own count (work terminated + control refused) comes with its heartbeats
        if ((await metric('shoal_node_malformed_messages_total{node="node-a"}')) < nodeMalformed + 2 * POISON.length) return false;
        return linesOf(cluster.agents[0]!, /terminated malformed work message/).length >= workTerminated + POISON.length;
      },
      { timeoutMs: 30_000, what: 'every poison message counted by the coordinator and terminated and counted by the node-agent' },
    );
    // logged briefly: one line per kind for a burst (not one per message), each short
    const logged = linesOf(cluster.coordinator, /dropped malformed/).slice(coordinatorLines);
    expect(logged.length).toBeLessThanOrEqual(kinds.length);
    for (const l of logged) expect(l.length).toBeLessThan(700);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // nothing stalled: the node is still alive and a normal run goes through work and status consumers
    const nodes = (await (await cluster.fetch(`${cluster.api}/nodes`)).json()) as Array<{ id: string; state: string }>;
    expect(nodes.find((n) => n.id === 'node-a')?.state).toBe('alive');
    const run = await cluster.submit(plan('after-poison', 2));
    const done = await cluster.waitForRun(run.id, 90_000);
    expect(done.state).toBe('succeeded');
    // terminated (+TERM), not left for redelivery: both JetStream consumers have nothing pending or redelivered
    const topo = topology(ns);
    const jsm = await jetstreamManager(nc);
    for (const [stream, consumer] of [
      [topo.statusStream, topo.coordinatorConsumer],
      [topo.workStream, topo.nodeConsumer('node-a')],
    ] as const) {
      await waitFor(
        async () => {
          const info = await jsm.consumers.info(stream, consumer);
          return info.num_ack_pending === 0 && info.num_pending === 0 && info.num_redelivered === 0;
        },
        { timeoutMs: 20_000, what: `${stream}/${consumer} drained without redeliveries` },
      );
    }
    expect(cluster.coordinator.exitStatus()).toBeUndefined();
    expect(cluster.agents[0]!.exitStatus()).toBeUndefined();
  }, 180_000);
});

describe('plans that are too big or too wrong', () => {
  const post = async (body: string, contentType: string) => {
    const res = await cluster.fetch(`${cluster.api}/runs`, { method: 'POST', body, headers: { 'content-type': contentType } });
    const text = await res.text();
    return { status: res.status, bytes: text.length, body: JSON.parse(text) as { id?: string; message?: string; issues?: Array<{ path: string; message: string }>; tasks?: unknown[] } };
  };
  const tasks = (n: number, bad: boolean) =>
    Array.from({ length: n }, (_, i) => (bad ? { id: `T_${i}`, team: 't', role: `R${i}`, command: ['true'], resources: { memory: 1 } } : { id: `t${i}`, team: 't', role: `R${i}`, command: ['true'], resources: { cpu: 1, memory: 256 } }));
  const json = (name: string, n: number, bad = false) => JSON.stringify({ name, teams: [{ name: 't' }], phases: [{ id: 'p', tasks: tasks(n, bad) }] });

  it('answers an oversized body 413 with a message', async () => {
    const r = await post('x'.repeat(MAX_PLAN_BYTES + 1), 'application/yaml');
    expect(r.status).toBe(413);
    expect(r.body.message).toMatch(/too large/i);
  });

  it('refuses a 10,000-task plan with one issue, and an error-heavy plan with 50 issues and how many more', async () => {
    const big = await post(json('big', 10_000), 'application/json');
    expect(big.status).toBe(400);
    expect(big.body.issues).toEqual([{ path: 'phases', message: 'at most 2000 tasks in all' }]);
    const bad = await post(json('bad', 2000, true), 'application/json');
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toHaveLength(51);
    expect(bad.body.issues![50]!.message).toBe('and 3950 more problem(s): only the first 50 are listed');
    expect(bad.bytes).toBeLessThan(20_000);
    const badYaml = await post(plan('bad-yaml', 3).replaceAll('memory: 256', 'memory: 1'), 'application/yaml');
    expect(badYaml.body.issues?.map((i) => i.path)).toEqual(['phases[0].tasks[0].resources.memory', 'phases[0].tasks[1].resources.memory', 'phases[0].tasks[2].resources.memory']);
  });

  it('takes a large JSON plan (handed to the intake workers as text) and refuses __proto__ in a small one', async () => {
    const text = json('large-json', 1000);
    expect(text.length).toBeGreaterThan(64 * 1024);
    const r = await post(text, 'application/json');
    expect(r.status).toBe(201);
    expect(r.body.tasks).toHaveLength(1000);
    await cluster.fetch(`${cluster.api}/runs/${r.body.id}/cancel`, { method: 'POST' });
    const proto = await post('{"name":"x","__proto__":{"polluted":true}}', 'application/json');
    expect(proto.status).toBe(400);
    expect(await metric('shoal_plan_intake_busy')).toBe(0);
    expect(await metric('shoal_event_loop_busy_max_seconds')).toBeGreaterThan(0);
  });
});

describe('POST /runs with an Idempotency-Key', () => {
  const post = async (body: string, key: string) => {
    const res = await cluster.fetch(`${cluster.api}/runs`, { method: 'POST', body, headers: { 'content-type': 'application/yaml', 'idempotency-key': key } });
    return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: (await res.json()) as { id?: string; idempotencyKey?: string; message?: string; issues?: Array<{ path: string; message: string }> } };
  };

  it('answers a retry with the run the key started (200, Idempotent-Replayed), refuses the key for another plan (409) and a malformed key (400)', async () => {
    const key = `k-${Date.now()}`;
    const first = await post(plan('keyed', 1), key);
    expect(first).toMatchObject({ status: 201, replayed: null, body: { idempotencyKey: key } });
    const again = await post(plan('keyed', 1), key);
    expect(again).toMatchObject({ status: 200, replayed: 'true', body: { id: first.body.id, idempotencyKey: key } });
    const runs = (await (await cluster.fetch(`${cluster.api}/runs`)).json()) as Array<{ id: string; plan: string }>;
    expect(runs.filter((r) => r.plan === 'keyed')).toHaveLength(1);
    const other = await post(plan('keyed', 2), key);
    expect(other.status).toBe(409);
    expect(other.body.message).toBe(`Idempotency-Key "${key}" was already used for run ${first.body.id} with a different plan; send a new key with a new submission`);
    const stored = (await (await cluster.fetch(`${cluster.api}/runs/${first.body.id}`)).json()) as { tasks: unknown[] };
    expect(stored.tasks).toHaveLength(1); // the stored run and its plan are untouched
    const bad = await post(plan('keyed', 1), 'two words');
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([{ path: 'Idempotency-Key header', message: expect.stringMatching(/^must be 1 to 128 letters, digits or \. _ : -/) }]);
    const fresh = await post(plan('keyed', 1), `${key}-2`);
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(first.body.id);
  });
});
