/**
 * Chaos rows against the bus (RELIABILITY.md fault matrix rows 3, 3b, 6, 8 and the NATS pauses of
 * issue 9): three secured nats-servers, two coordinators, three node-agents, every task writing
 * the ledger; after each fault the checker judges I1-I4 (test/chaos/support/checker.ts).
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type Msg } from '@nats-io/transport-node';
import { Disposables, waitFor } from '@shoal/testing';
import { type ChaosCluster, startChaosCluster, waitForTask } from './support/chaos-cluster.js';
import { ledgerPlan } from './support/ledger-plan.js';
import { describeVerdict } from './support/checker.js';
import { runRow } from './support/results.js';
import { hold, watchNodes, watchRuns } from './support/watch.js';

const disposables = new Disposables();
let c: ChaosCluster;
const NODES = ['bus-a', 'bus-b', 'bus-c'];

beforeAll(async () => {
  c = await startChaosCluster({ name: 'bus', agents: NODES.map((nodeId) => ({ nodeId })) }, disposables);
}, 240_000);

afterAll(() => disposables.disposeAll(), 120_000);

let seq = 0;
const name = (row: string) => `${row}-${++seq}`;

/** Every server runs and agrees on a meta leader; every node is alive (a row starts from a healthy cluster). */
async function healthy(): Promise<void> {
  for (const s of c.bus.cluster.servers) if (s.pid === undefined) await s.restart();
  await c.bus.cluster.waitForMetaLeader(60_000);
  await waitFor(async () => Object.values(await c.nodeStates()).filter((s) => s === 'alive').length === NODES.length, { timeoutMs: 60_000, what: 'every node alive before the row' });
}

/** The `message` of an error body, when it has one. */
function reasonOf(body: string): string | undefined {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    return typeof m === 'string' && m.trim() ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Every process of the cluster still runs (a poison message must crash nothing). */
function nothingCrashed(): string[] {
  const dead: string[] = [];
  c.coordinators.forEach((p, i) => p && p.exitStatus() !== undefined && dead.push(`coordinator-${i} exited ${JSON.stringify(p.exitStatus())}: ${p.outputTail(5)}`));
  c.agents.forEach((p, i) => p && p.exitStatus() !== undefined && dead.push(`node-agent ${NODES[i]} exited ${JSON.stringify(p.exitStatus())}: ${p.outputTail(5)}`));
  return dead;
}

describe('chaos: the bus', () => {
  it('poison messages on every subject: terminated and counted, nothing crashes, consumers keep flowing', () =>
    runRow('poison messages on every subject', async () => {
      await healthy();
      const before = await c.submit(ledgerPlan(name('poison'), c.ledgerPath, [[{ id: 'p1', seconds: 4 }, { id: 'p2', seconds: 4 }, { id: 'p3', seconds: 4 }]]));
      const js = jetstream(c.observer);
      const ns = c.bus.ns;
      const nested = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
      const payloads: [string, Uint8Array | string][] = [
        ['not JSON', '{"v":1,"kind":'],
        ['binary', new Uint8Array([0, 255, 1, 254, 0x1b, 0x5b, 0x32, 0x4a])],
        ['oversized', JSON.stringify({ v: 1, kind: 'task.finished', reason: 'x'.repeat(900_000) })],
        ['deeply nested', nested],
        ['__proto__', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"v":1,"kind":"node.heartbeat","nodeId":"bus-a"}'],
        ['wrong schema', JSON.stringify({ v: 1, kind: 'task.finished', runId: '../../etc', taskId: 'x', attempt: 999, nodeId: 'bus-a', outcome: 'succeeded' })],
        ['wrong version', JSON.stringify({ v: 99, kind: 'task.dispatched' })],
      ];
      const streamSubjects = NODES.flatMap((n) => [`${ns}.work.${n}`, `${ns}.status.${n}`]);
      const coreSubjects = [...NODES.flatMap((n) => [`${ns}.hb.${n}`, `${ns}.ctl.${n}`, `${ns}.out.${n}.${before.id}.p1`, `${ns}.chk.${n}.${before.id}.p1`]), `${ns}.evt.${before.id}`, `${ns}.scale`];
      let published = 0;
      for (const [kind, data] of payloads) {
        for (const s of streamSubjects) {
          await js.publish(s, data, { msgID: `poison-${kind.replace(/\W/g, '')}-${s}-${Date.now()}` });
          published += 1;
        }
        for (const s of coreSubjects) {
          c.observer.publish(s, data);
          published += 1;
        }
      }
      await c.observer.flush();
      // the consumers keep flowing: the run in flight and a run submitted after the poison both finish
      const after = await c.submit(ledgerPlan(name('poison-after'), c.ledgerPath, [[{ id: 'q1', seconds: 1 }, { id: 'q2', seconds: 1 }, { id: 'q3', seconds: 1 }]]));
      const healedAt = Date.now();
      const s = await c.settle([before.id, after.id], { allowRerun: false }, healedAt, 90_000);
      if (!s.verdict.ok) throw new Error(describeVerdict(s.verdict));
      const crashed = nothingCrashed();
      if (crashed.length) throw new Error(`crashed after poison: ${crashed.join('; ')}`);
      // terminated, not redelivered forever: no consumer holds an unacked poison message
      const jsm = await jetstreamManager(c.observer);
      const stuck: string[] = [];
      await waitFor(
        async () => {
          stuck.length = 0;
          for (const consumer of await jsm.consumers.list(`${ns.toUpperCase()}_WORK`).next()) if (consumer.num_ack_pending > 0 || consumer.num_pending > 0) stuck.push(`WORK/${consumer.name}: ${consumer.num_ack_pending} unacked, ${consumer.num_pending} pending`);
          for (const consumer of await jsm.consumers.list(`${ns.toUpperCase()}_STATUS`).next()) if (consumer.num_ack_pending > 0 || consumer.num_pending > 0) stuck.push(`STATUS/${consumer.name}: ${consumer.num_ack_pending} unacked, ${consumer.num_pending} pending`);
          return stuck.length === 0;
        },
        { timeoutMs: 30_000, what: 'every consumer to have terminated the poison messages' },
      ).catch(() => {
        throw new Error(`poison messages not terminated: ${stuck.join('; ')}`);
      });
      // counted: the coordinator's metrics name the rejected messages
      const metrics = await (await c.request('/metrics')).text();
      const counted = metrics.split('\n').filter((l) => /^shoal_\w*(poison|malformed|rejected|invalid)\w*/.test(l) && Number(l.split(' ').pop()) > 0);
      if (counted.length === 0) throw new Error(`no counter of rejected messages above 0 in GET /metrics (looked for shoal_*poison|malformed|rejected|invalid*): ${metrics.split('\n').filter((l) => /poison|malformed|rejected|invalid/.test(l)).slice(0, 5).join(' / ') || 'none'}`);
      return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `${published} poison messages (${payloads.length} kinds x ${streamSubjects.length + coreSubjects.length} subjects); counted: ${counted.join(', ').slice(0, 200)}` };
    }), 180_000);

  it('duplicate delivery: the same work republished with another msg-id starts nothing twice', () =>
    runRow('duplicate delivery (work republished, new msg-id)', async () => {
      await healthy();
      const captured: Msg[] = [];
      const sub = c.observer.subscribe(`${c.bus.ns}.work.>`, {
        callback: (err, m) => {
          if (!err) captured.push(m);
        },
      });
      try {
        const run = await c.submit(ledgerPlan(name('dup'), c.ledgerPath, [[{ id: 'd1', seconds: 8 }, { id: 'd2', seconds: 1 }]]));
        await waitForTask(c, run.id, (t) => t.id === 'd1' && t.state === 'running', 'd1 running');
        const d2 = await waitForTask(c, run.id, (t) => t.id === 'd2' && t.state === 'succeeded', 'd2 succeeded');
        const mine = captured.filter((m) => new TextDecoder().decode(m.data).includes(`"runId":"${run.id}"`));
        if (mine.length < 2) throw new Error(`captured ${mine.length} work messages of run ${run.id}, expected 2`);
        const js = jetstream(c.observer);
        // d1 while it runs, d2 after it succeeded: twice each, with fresh msg-ids (past the dedupe window's reach)
        for (const m of mine) {
          for (let k = 0; k < 2; k++) {
            const h = natsHeaders();
            for (const [key, vals] of m.headers ?? []) if (key !== 'Nats-Msg-Id') for (const v of vals) h.append(key, v);
            await js.publish(m.subject, m.data, { msgID: `${m.headers?.get('Nats-Msg-Id') ?? 'dup'}-dup${k}`, headers: h });
          }
        }
        const healedAt = Date.now();
        const s = await c.settle([run.id], { allowRerun: false }, healedAt, 90_000);
        if (!s.verdict.ok) throw new Error(describeVerdict(s.verdict));
        return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `republished ${mine.length * 2} work messages (d1 running, d2 done on ${d2.nodeId}); one execution per attempt` };
      } finally {
        sub.unsubscribe();
      }
    }), 180_000);

  for (const seconds of [5, 30]) {
    it(`NATS pause: every server SIGSTOPped ${seconds} s — an outage is not a death, nothing re-runs`, () =>
      runRow(`NATS pause (SIGSTOP all servers ${seconds} s)`, async () => {
        await healthy();
        // tasks that finish during the pause (their results wait on the node) and ones that outlast it
        const run = await c.submit(ledgerPlan(name(`pause${seconds}`), c.ledgerPath, [[
          { id: 'short1', seconds: 3 },
          { id: 'short2', seconds: 3 },
          { id: 'mid', seconds: Math.max(4, seconds - 2) },
          { id: 'long', seconds: seconds + 8 },
        ], [{ id: 'after', seconds: 1 }]]));
        // every phase-1 task started (a 3 s task may already be done on a busy machine) and the two that outlast the pause running
        let states = '';
        await waitFor(
          async () => {
            const tasks = (await c.get(run.id)).tasks.filter((t) => t.id !== 'after');
            states = tasks.map((t) => `${t.id}=${t.state}`).join(' ');
            const started = tasks.filter((t) => t.state === 'running' || t.state === 'succeeded');
            return started.length === 4 && tasks.filter((t) => (t.id === 'mid' || t.id === 'long') && t.state === 'running').length === 2;
          },
          { timeoutMs: 90_000, intervalMs: 250, what: 'the four phase-1 tasks started, mid and long running' },
        ).catch((e: unknown) => {
          throw new Error(`${e instanceof Error ? e.message : String(e)}; task states: ${states}`);
        });
        const watch = watchNodes(c);
        const pids = c.bus.cluster.servers.map((s) => s.pid!);
        for (const pid of pids) process.kill(pid, 'SIGSTOP');
        try {
          await hold(seconds * 1000);
        } finally {
          for (const pid of pids) process.kill(pid, 'SIGCONT');
        }
        const healedAt = Date.now();
        const s = await c.settle([run.id], { allowRerun: false }, healedAt, 150_000).finally(() => watch.stop());
        const seen = await watch.stop();
        if (!s.verdict.ok) throw new Error(describeVerdict(s.verdict));
        if (seen.lost.length) throw new Error(`node(s) ${seen.lost.join(', ')} judged lost during or after a ${seconds} s bus pause`);
        return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `no node judged lost (${seen.samples} samples of GET /nodes); every task ran once` };
      }), 300_000);
  }

  it('one of three NATS servers killed: clients reconnect, every acked publish is readable, nothing re-runs', () =>
    runRow('one NATS server killed (the WORK stream leader)', async () => {
      await healthy();
      const run = await c.submit(ledgerPlan(name('kill1'), c.ledgerPath, [[{ id: 'k1', seconds: 6 }, { id: 'k2', seconds: 6 }, { id: 'k3', seconds: 2 }], [{ id: 'k4', seconds: 2 }, { id: 'k5', seconds: 2 }]]));
      await waitFor(async () => (await c.get(run.id)).tasks.some((t) => t.state === 'running'), { timeoutMs: 60_000, what: 'a task running' });
      const jsm = await jetstreamManager(c.observer);
      const info = await jsm.streams.info(`${c.bus.ns.toUpperCase()}_WORK`);
      const replicas = (info.cluster?.replicas?.length ?? 0) + 1;
      const leaderName = info.cluster?.leader;
      const victim = Math.max(0, c.bus.cluster.serverNames.indexOf(leaderName ?? ''));
      await c.bus.cluster.servers[victim]!.kill('SIGKILL');
      const killedAt = Date.now();
      // a run submitted while the server is down is accepted and runs too
      const during = await c.submit(ledgerPlan(name('kill1-during'), c.ledgerPath, [[{ id: 'm1', seconds: 1 }, { id: 'm2', seconds: 1 }]]));
      const s = await c.settle([run.id, during.id], { allowRerun: false }, killedAt, 120_000);
      await c.bus.cluster.servers[victim]!.restart();
      if (!s.verdict.ok) throw new Error(describeVerdict(s.verdict));
      if (replicas < 3) throw new Error(`the WORK stream has ${replicas} replica(s): one lost server can lose acked work (SHOAL_NATS_REPLICAS=3 not applied)`);
      return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `killed ${c.bus.cluster.serverNames[victim]} (WORK leader, R${replicas}); runs in flight and submitted during the loss finished, once each` };
    }), 240_000);

  it('two of three NATS servers killed: submissions fail loudly (503), nothing is marked dispatched without an ack', () =>
    runRow('two NATS servers killed (quorum lost)', async () => {
      await healthy();
      const run = await c.submit(ledgerPlan(name('kill2'), c.ledgerPath, [[{ id: 'a1', seconds: 2 }, { id: 'a2', seconds: 2 }], [{ id: 'b1', seconds: 1 }, { id: 'b2', seconds: 1 }]]));
      await waitFor(async () => (await c.get(run.id)).tasks.filter((t) => t.state === 'running').length === 2, { timeoutMs: 60_000, what: 'phase 1 running' });
      const victims = [1, 2];
      for (const v of victims) await c.bus.cluster.servers[v]!.kill('SIGKILL');
      const lostAt = Date.now();
      const during = watchRuns(c, [run.id]);
      // phase 1 ends during the loss: phase 2 must not be marked dispatched without a server ack
      await hold(4000);
      let res: Response;
      let body: string;
      try {
        res = await c.request('/runs', { method: 'POST', body: ledgerPlan(name('kill2-refused'), c.ledgerPath, [[{ id: 'x1', seconds: 1 }]]), headers: { 'content-type': 'application/yaml' } });
        body = await res.text();
        await hold(6000);
      } finally {
        await during.stop();
      }
      const views = await during.stop();
      for (const v of victims) await c.bus.cluster.servers[v]!.restart();
      const healedAt = Date.now();
      await c.bus.cluster.waitForMetaLeader(60_000);
      const s = await c.settle([run.id], { allowRerun: false }, healedAt, 120_000);
      const problems: string[] = [];
      if (res.status !== 503) problems.push(`POST /runs during quorum loss answered ${res.status} (expected 503): ${body.slice(0, 300)}`);
      else if (!reasonOf(body)) problems.push(`503 without a reason (no message in the body): ${body.slice(0, 300)}`);
      const early = views.flatMap((v) => v.runs.flatMap((r) => r.tasks.filter((t) => t.phaseId === 'p2' && t.dispatchedAt !== undefined && t.dispatchedAt > lostAt + 1000 && t.dispatchedAt < healedAt).map((t) => `${t.id} dispatched at +${t.dispatchedAt! - lostAt} ms`)));
      if (early.length) problems.push(`marked dispatched while quorum was lost: ${[...new Set(early)].join(', ')}`);
      if (!s.verdict.ok) problems.push(describeVerdict(s.verdict));
      if (problems.length) throw new Error(problems.join(' | '));
      return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `POST /runs -> 503 "${reasonOf(body)!.slice(0, 120)}"; phase 2 not marked dispatched while quorum was lost` };
    }), 240_000);
});
