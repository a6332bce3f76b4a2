/**
 * Chaos rows against the coordinator (RELIABILITY.md fault matrix row 2, issue 9 point 4): kill -9
 * of the leading replica, plainly and at each test-only failpoint between a KV write and a publish
 * (SHOAL_FAILPOINTS, apps/coordinator/src/failpoints.ts). The standby takes over (the killed
 * replica comes back as a standby); the run completes; the msg-id dedupes re-publishes, so nothing
 * runs twice: the nodes were never gone, so no attempt may be re-run.
 */
import { Disposables, waitFor } from '@shoal/testing';
import { FAILPOINT_NAMES } from '../../apps/coordinator/src/failpoints.js';
import { type ChaosCluster, startChaosCluster } from './support/chaos-cluster.js';
import { ledgerPlan } from './support/ledger-plan.js';
import { describeVerdict } from './support/checker.js';
import { runRow } from './support/results.js';

const disposables = new Disposables();
let c: ChaosCluster;
const NODES = ['coord-a', 'coord-b', 'coord-c'];

beforeAll(async () => {
  c = await startChaosCluster({ name: 'coordinator', agents: NODES.map((nodeId) => ({ nodeId })) }, disposables);
}, 240_000);

afterAll(() => disposables.disposeAll(), 120_000);

let seq = 0;
const name = (row: string) => `${row}-${++seq}`;

/** Every replica runs, one of them leads, every node is alive. */
async function healthy(): Promise<number> {
  for (let i = 0; i < c.coordinators.length; i++) if (!c.coordinators[i] || c.coordinators[i]!.exitStatus() !== undefined) await c.startCoordinator(i);
  // waitFor wants a truthy value: coordinator 0 is a valid answer
  const { leader } = await waitFor(async () => ({ leader: await c.leader() }), { timeoutMs: 60_000, what: 'a leading coordinator' });
  await waitFor(async () => Object.values(await c.nodeStates()).filter((s) => s === 'alive').length === NODES.length, { timeoutMs: 60_000, what: 'every node alive before the row' });
  return leader;
}

/** Waits for a leader other than `dead` (or `dead` itself restarted when it is the only replica); returns the takeover time. */
async function takeover(dead: number, since: number): Promise<number> {
  if (c.coordinators.length === 1) await c.startCoordinator(dead);
  await waitFor(async () => (await c.leader()) !== dead || c.coordinators.length === 1, { timeoutMs: 60_000, intervalMs: 200, what: 'another coordinator to lead' });
  return Date.now() - since;
}

const plan = (row: string) =>
  ledgerPlan(name(row), c.ledgerPath, [
    [{ id: 'a1', seconds: 3 }, { id: 'a2', seconds: 3 }, { id: 'a3', seconds: 6 }],
    [{ id: 'b1', seconds: 2 }, { id: 'b2', seconds: 2 }],
  ]);

describe('chaos: coordinators', () => {
  it('leader kill -9: the standby takes over, the run completes, nothing re-runs', () =>
    runRow('coordinator leader kill -9', async () => {
      const leader = await healthy();
      const run = await c.submit(plan('leader-kill'));
      await waitFor(async () => (await c.get(run.id)).tasks.some((t) => t.state === 'running'), { timeoutMs: 60_000, what: 'a task running' });
      const killedAt = Date.now();
      await c.killCoordinator(leader);
      const took = await takeover(leader, killedAt);
      const s = await c.settle([run.id], { allowRerun: false }, killedAt, 120_000);
      if (!s.verdict.ok) throw new Error(describeVerdict(s.verdict));
      return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `leader coordinator-${leader} killed; a new leader after ${(took / 1000).toFixed(1)} s` };
    }), 180_000);

  for (const fp of FAILPOINT_NAMES) {
    it(`leader kill -9 at failpoint ${fp}: resumes from KV, the re-publish is deduped, the run completes once`, () =>
      runRow(`coordinator leader kill -9 at failpoint ${fp}`, async () => {
        const leader = await healthy();
        // the leader restarted with the failpoint armed; it leads again only if the standby does not take over first
        await c.killCoordinator(leader);
        const others = c.coordinators.map((_, i) => i).filter((i) => i !== leader);
        for (const o of others) await c.killCoordinator(o);
        await c.startCoordinator(leader, { SHOAL_FAILPOINTS: `${fp}:exit` });
        await waitFor(() => c.leader().then((l) => l === leader), { timeoutMs: 60_000, what: `coordinator-${leader} (failpoint armed) to lead` });
        for (const o of others) await c.startCoordinator(o);
        await waitFor(async () => Object.values(await c.nodeStates()).filter((s) => s === 'alive').length === NODES.length, { timeoutMs: 60_000, what: 'every node alive' });
        const run = await c.submit(plan(`fp-${fp}`));
        const armed = c.coordinators[leader]!;
        await waitFor(() => armed.exitStatus() !== undefined, { timeoutMs: 60_000, intervalMs: 100, what: `the failpoint ${fp} to kill coordinator-${leader}` }).catch(() => {
          throw new Error(`failpoint ${fp} never fired (coordinator-${leader} still runs)`);
        });
        const killedAt = Date.now();
        if (!armed.outputTail(200).includes(`failpoint ${fp} fired`)) throw new Error(`coordinator-${leader} exited ${JSON.stringify(armed.exitStatus())} without "failpoint ${fp} fired": ${armed.outputTail(5)}`);
        const took = await takeover(leader, killedAt);
        const s = await c.settle([run.id], { allowRerun: false }, killedAt, 120_000);
        if (!s.verdict.ok) throw new Error(describeVerdict(s.verdict));
        return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `coordinator-${leader} died at ${fp} (exit ${JSON.stringify(armed.exitStatus())}); a leader again after ${(took / 1000).toFixed(1)} s` };
      }), 240_000);
  }
});
