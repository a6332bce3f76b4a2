/**
 * Chaos rows: a node partitioned from the bus (RELIABILITY.md fault matrix row 4). Node-agent
 * `part-a` runs inside a network namespace joined to the host by a veth pair; it reaches only NATS
 * member 3, which listens on the host side of the pair. Partition = the host side of the link goes
 * down (packets dropped, no socket closed). Where the host cannot make namespaces (not root, no
 * iproute2) the rows say NOT RUN with the reason and are never counted as a pass.
 */
import { Disposables, type NetnsLink, createNetnsLink, netnsUnsupportedReason, waitFor } from '@shoal/testing';
import { type ChaosCluster, startChaosCluster } from './support/chaos-cluster.js';
import { alive, ledgerPlan } from './support/ledger-plan.js';
import { describeVerdict } from './support/checker.js';
import { recordNotRun, runRow } from './support/results.js';
import { hold, watchNodes } from './support/watch.js';

const unsupported = await netnsUnsupportedReason();
const disposables = new Disposables();
let c: ChaosCluster;
let link: NetnsLink;
const NODES = ['part-a', 'part-b', 'part-c'];
/** The cut-off agent stops its own tasks this long after it noticed the loss of the bus (product default 60 s). */
const STOP_AFTER_MS = 20_000;
const ROW_5 = 'node partitioned from the bus 5 s (netns, veth down)';
const ROW_60 = 'node partitioned from the bus 60 s (netns, veth down)';

if (unsupported) {
  describe('chaos: partitions — NOT RUN', () => {
    it(`NOT RUN: ${unsupported}`, () => {
      recordNotRun(ROW_5, unsupported);
      recordNotRun(ROW_60, unsupported);
      expect(unsupported).toBeTruthy();
    });
  });
} else {
  beforeAll(async () => {
    link = await createNetnsLink();
    disposables.add(() => link.dispose());
    c = await startChaosCluster(
      {
        name: 'partition',
        natsHosts: ['127.0.0.1', '127.0.0.1', link.hostIp],
        agents: [
          { nodeId: 'part-a', netns: link, servers: (urls) => [urls[2]!], env: { SHOAL_STOP_AFTER_MS: String(STOP_AFTER_MS) } },
          { nodeId: 'part-b', servers: (urls) => urls.slice(0, 2) },
          { nodeId: 'part-c', servers: (urls) => urls.slice(0, 2) },
        ],
        // the coordinators and the observer use the loopback members only: the partition cuts part-a alone
        coordinatorServers: (urls) => urls.slice(0, 2),
      },
      disposables,
    );
  }, 240_000);

  afterAll(async () => {
    await link?.up().catch(() => undefined);
    await disposables.disposeAll();
  }, 120_000);

  let seq = 0;
  const name = (row: string) => `${row}-${++seq}`;

  const healthy = () => waitFor(async () => Object.values(await c.nodeStates()).filter((s) => s === 'alive').length === NODES.length, { timeoutMs: 90_000, what: 'every node alive before the row' });

  /** Submits long tasks until at least one runs on part-a; returns the run and part-a's tasks. */
  async function runOnPartA(row: string, seconds: number) {
    const run = await c.submit(ledgerPlan(name(row), c.ledgerPath, [[1, 2, 3, 4].map((i) => ({ id: `l${i}`, seconds })), [{ id: 'after', seconds: 1 }]]));
    const view = await waitFor(
      async () => {
        const r = await c.get(run.id);
        return r.tasks.filter((t) => t.phaseId === 'p1' && t.state === 'running').length === 4 ? r : undefined;
      },
      { timeoutMs: 60_000, what: 'the four long tasks running' },
    );
    const onA = view.tasks.filter((t) => t.nodeId === 'part-a');
    if (onA.length === 0) throw new Error(`the placer put none of the four tasks on part-a (${view.tasks.map((t) => `${t.id}@${t.nodeId}`).join(', ')}): the partition would cut nothing`);
    return { run, onA };
  }

  describe('chaos: a node partitioned from the bus', () => {
    it('5 s partition: nothing changes (no node lost, no re-run)', () =>
      runRow(ROW_5, async () => {
        await healthy();
        const { run, onA } = await runOnPartA('part5', 12);
        const watch = watchNodes(c);
        await link.down();
        try {
          await hold(5000);
        } finally {
          await link.up();
        }
        const healedAt = Date.now();
        const s = await c.settle([run.id], { allowRerun: false }, healedAt, 120_000).finally(() => watch.stop());
        const seen = await watch.stop();
        const problems: string[] = [];
        if (!s.verdict.ok) problems.push(describeVerdict(s.verdict));
        if (seen.lost.length) problems.push(`judged lost during a 5 s partition: ${seen.lost.join(', ')}`);
        if (problems.length) throw new Error(problems.join(' | '));
        return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `${onA.length} task(s) on part-a kept their attempt; no node judged lost` };
      }), 180_000);

    it('60 s partition: node lost, tasks re-placed, the cut-off agent stops its own tasks, stale results rejected after the heal', () =>
      runRow(ROW_60, async () => {
        await healthy();
        const { run, onA } = await runOnPartA('part60', 70);
        const ledgerPids = () => c.observe([run.id]).then((o) => o.ledger.filter((e) => e.event === 'start' && e.node === 'part-a' && e.attempt === 1).map((e) => e.pid));
        // the API says running once the window exists; the task writes its ledger line a moment later
        const cutPids = await waitFor(async () => {
          const pids = await ledgerPids();
          return pids.length === onA.length ? pids : undefined;
        }, { timeoutMs: 30_000, what: `ledger lines of part-a's ${onA.length} task(s)` });
        const cutAt = Date.now();
        await link.down();
        let lostAfter: number | undefined;
        let replaced: string[] = [];
        let stillRunning: number[] = [];
        try {
          await waitFor(async () => (await c.nodeStates())['part-a'] === 'lost', { timeoutMs: 40_000, intervalMs: 250, what: 'part-a judged lost' }).then(
            () => (lostAfter = Date.now() - cutAt),
            () => undefined,
          );
          const remaining = 60_000 - (Date.now() - cutAt);
          if (remaining > 0) await hold(remaining);
          const view = await c.get(run.id);
          replaced = onA.map((t) => view.tasks.find((x) => x.id === t.id)!).filter((t) => t.attempt >= 2 && t.nodeId !== 'part-a').map((t) => `${t.id}#${t.attempt}@${t.nodeId}`);
          stillRunning = cutPids.filter(alive);
        } finally {
          await link.up();
        }
        const healedAt = Date.now();
        const s = await c.settle([run.id], { allowRerun: true }, healedAt, 150_000);
        const problems: string[] = [];
        if (lostAfter === undefined) problems.push('part-a was never judged lost during a 60 s partition');
        if (replaced.length < onA.length) problems.push(`only ${replaced.length} of part-a's ${onA.length} task(s) re-placed during the partition (${replaced.join(', ') || 'none'})`);
        if (stillRunning.length) problems.push(`the cut-off agent did not stop its own tasks within 60 s (stop_after ${STOP_AFTER_MS} ms): pids ${stillRunning.join(', ')} still ran at the heal`);
        if (!s.verdict.ok) problems.push(describeVerdict(s.verdict));
        if (problems.length) throw new Error(problems.join(' | '));
        return { consistentMs: s.consistentMs, convergedMs: s.convergedMs, note: `part-a lost after ${(lostAfter! / 1000).toFixed(1)} s; re-placed ${replaced.join(', ')}; cut-off agent stopped its ${cutPids.length} task(s) (stop_after ${STOP_AFTER_MS / 1000} s); completed work never re-ran` };
      }), 300_000);
  });
}
