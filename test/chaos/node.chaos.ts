/**
 * Chaos rows against node-agents (RELIABILITY.md fault matrix rows 1 and 7): kill -9 of a
 * node-agent with its restart before and after the node TTL, and node-agents with clocks skewed by
 * +-10 minutes. Three secured nats-servers, two coordinators, three node-agents, the ledger.
 */
import { readFileSync } from 'node:fs';
import { Disposables, waitFor } from '@shoal/testing';
import { type ChaosCluster, startChaosCluster, waitForTask } from './support/chaos-cluster.js';
import { ledgerPlan } from './support/ledger-plan.js';
import { describeVerdict, parseLedger } from './support/checker.js';
import { runRow } from './support/results.js';
import { hold, watchNodes } from './support/watch.js';

const disposables = new Disposables();
let c: ChaosCluster;
const NODES = ['node-a', 'node-b', 'node-c'];
/** The coordinator's node TTL (its default). */
const TTL_MS = 10_000;

beforeAll(async () => {
  c = await startChaosCluster({ name: 'node', agents: NODES.map((nodeId) => ({ nodeId })) }, disposables);
}, 240_000);

afterAll(() => disposables.disposeAll(), 120_000);

let seq = 0;
const name = (row: string) => `${row}-${++seq}`;

async function healthy(): Promise<void> {
  await waitFor(async () => Object.values(await c.nodeStates()).filter((s) => s === 'alive').length === NODES.length, { timeoutMs: 60_000, what: 'every node alive before the row' });
}

describe('chaos: node-agents', () => {
  it('node-agent kill -9, restarted before the TTL: re-adopts its windows, same attempt, nothing re-runs', () =>
    runRow('node-agent kill -9, restart before the TTL', async () => {
      await healthy();
      const run = await c.submit(ledgerPlan(name('agent-before'), c.ledgerPath, [[{ id: 'l1', seconds: 14 }, { id: 'l2', seconds: 14 }, { id: 'l3', seconds: 14 }, { id: 's1', seconds: 2 }]]));
      const victimTask = await waitForTask(c, run.id, (t) => t.id === 'l1' && t.state === 'running', 'l1 running');
      const victim = NODES.indexOf(victimTask.nodeId!);
      const watch = watchNodes(c);
      const killedAt = Date.now();
      await c.killAgent(victim);
      await hold(500);
      await c.startAgent(victim);
      const healedAt = Date.now();
      const down = healedAt - killedAt;
      if (down >= TTL_MS) throw new Error(`the restart took ${down} ms, not before the ${TTL_MS} ms TTL: the row could not stage its fault`);
      const s = await c.settle([run.id], { allowRerun: false }, healedAt, 120_000).finally(() => watch.stop());
      const seen = await watch.stop();
      const problems: string[] = [];
      if (!s.verdict.ok) problems.push(describeVerdict(s.verdict));
      if (seen.lost.length) problems.push(`judged lost although back after ${down} ms: ${seen.lost.join(', ')}`);
      if (problems.length) throw new Error(problems.join(' | '));
      return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `${NODES[victim]} down ${(down / 1000).toFixed(1)} s; not judged lost; its attempts re-adopted (one execution each)` };
    }), 180_000);

  it('node-agent kill -9, restarted after the TTL: node lost, tasks re-placed, the old windows killed on return', () =>
    runRow('node-agent kill -9, restart after the TTL', async () => {
      await healthy();
      const run = await c.submit(ledgerPlan(name('agent-after'), c.ledgerPath, [[{ id: 'l1', seconds: 25 }, { id: 'l2', seconds: 25 }, { id: 'l3', seconds: 25 }, { id: 's1', seconds: 2 }]]));
      const victimTask = await waitForTask(c, run.id, (t) => t.id === 'l1' && t.state === 'running', 'l1 running');
      const victim = NODES.indexOf(victimTask.nodeId!);
      const node = NODES[victim]!;
      const killedAt = Date.now();
      await c.killAgent(victim);
      await waitFor(async () => (await c.nodeStates())[node] === 'lost', { timeoutMs: 3 * TTL_MS, intervalMs: 250, what: `${node} judged lost` }).catch(() => {
        throw new Error(`${node} not judged lost within ${(3 * TTL_MS) / 1000} s of its kill -9`);
      });
      const lostAfter = Date.now() - killedAt;
      // the task is re-placed on another node while the first node is away
      const replaced = await waitForTask(c, run.id, (t) => t.id === 'l1' && t.attempt >= 2 && t.nodeId !== node && t.state === 'running', 'l1 re-placed on another node', 30_000).catch(() => undefined);
      await c.startAgent(victim);
      const healedAt = Date.now();
      // work that ended on the victim while its agent was away could not be seen: it may run again
      const s = await c.settle([run.id], { allowRerun: true, blind: [{ node, from: killedAt, to: healedAt }] }, healedAt, 120_000);
      const problems: string[] = [];
      if (!replaced) problems.push(`l1 was not re-placed on another node within 30 s of ${node} being lost`);
      if (!s.verdict.ok) problems.push(describeVerdict(s.verdict));
      if (lostAfter > TTL_MS + 5000) problems.push(`judged lost only after ${lostAfter} ms (TTL ${TTL_MS} ms)`);
      if (problems.length) throw new Error(problems.join(' | '));
      const unseen = parseLedger(readFileSync(c.ledgerPath, 'utf8')).filter((e) => e.run === run.id && e.event === 'end' && e.node === node && e.at >= killedAt && e.at <= healedAt).map((e) => `${e.task}#${e.attempt}`);
      const rerun = unseen.length ? `; ${unseen.join(', ')} ended unseen while the agent was away, so ran again (at-least-once)` : '';
      return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `${node} judged lost ${(lostAfter / 1000).toFixed(1)} s after kill -9; l1 re-placed as attempt ${replaced!.attempt} on ${replaced!.nodeId}; old attempts stopped on return, completed work seen by Shoal never re-ran${rerun}` };
    }), 240_000);

  it('node-agents with clocks skewed by +10 min and -10 min: judged by receive time, no false "lost", nothing re-runs', () =>
    runRow('node-agent clock skew +-10 min', async () => {
      await healthy();
      // restarted idle with a skewed clock (nothing runs on them now)
      await c.killAgent(1);
      await c.startAgent(1, { SHOAL_CLOCK_SKEW_MS: String(10 * 60_000) });
      await c.killAgent(2);
      await c.startAgent(2, { SHOAL_CLOCK_SKEW_MS: String(-10 * 60_000) });
      const skewedAt = Date.now();
      if (!c.agents[1]!.stdout.some((l) => l.includes('clock skewed by 600000 ms'))) throw new Error('node-agent did not apply SHOAL_CLOCK_SKEW_MS');
      const watch = watchNodes(c);
      const run = await c.submit(ledgerPlan(name('skew'), c.ledgerPath, [[1, 2, 3, 4, 5, 6].map((i) => ({ id: `k${i}`, seconds: 6 })), [{ id: 'z1', seconds: 2 }, { id: 'z2', seconds: 2 }, { id: 'z3', seconds: 2 }]]));
      // three node TTLs with the skewed nodes in service
      await hold(3 * TTL_MS);
      const s = await c.settle([run.id], { allowRerun: false }, skewedAt, 120_000).finally(() => watch.stop());
      const seen = await watch.stop();
      const view = await c.get(run.id);
      const onSkewed = view.tasks.filter((t) => t.nodeId === NODES[1] || t.nodeId === NODES[2]).length;
      const problems: string[] = [];
      if (!s.verdict.ok) problems.push(describeVerdict(s.verdict));
      if (seen.lost.length) problems.push(`skewed node(s) judged lost: ${seen.lost.join(', ')}`);
      if (onSkewed === 0) problems.push('no task ran on a skewed node: the row proved nothing');
      if (problems.length) throw new Error(problems.join(' | '));
      return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `${onSkewed} of ${view.tasks.length} tasks ran on the skewed nodes; no node judged lost over ${((Date.now() - skewedAt) / 1000).toFixed(0)} s` };
    }), 240_000);
});
