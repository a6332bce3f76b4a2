import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, type SpawnedProcess, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import type { RunView } from '@shoal/protocol';
import { type TestCluster, startCluster } from '../support/cluster.js';

/** The default lease period (SHOAL_LEADER_LEASE_MS): the test runs what users run. */
const LEASE_MS = 5000;

interface LeaderInfo {
  role: 'standby' | 'leader' | 'suspended' | 'deposed';
  term: number;
  coordinatorId: string;
  url: string;
  leader?: { coordinatorId: string; url: string; term: number; released: boolean };
}

const disposables = new Disposables();
let cluster: TestCluster;
let dir: string;
/** The coordinator that leads after the first test. */
let second: { api: string; process: SpawnedProcess };
/** The coordinator that leads after the second test (the only one left). */
let last: { api: string; process: SpawnedProcess };
/** The coordinator that leads after the fourth test. */
let fourth: { api: string; process: SpawnedProcess };

beforeAll(async () => {
  const d = tempDir();
  disposables.add(() => d.dispose());
  dir = d.path;
  const tmux = tmuxSocket();
  disposables.add(() => tmux.dispose());
  cluster = await startCluster([{ nodeId: 'node-ha', tmuxSocket: tmux.name, dataDir: join(dir, 'node-ha') }], disposables);
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

const leaderOf = async (api: string): Promise<LeaderInfo> => {
  const res = await cluster.fetch(`${api}/leader`, { signal: AbortSignal.timeout(1000) });
  if (!res.ok) throw new Error(`GET ${api}/leader: ${res.status}`);
  return (await res.json()) as LeaderInfo;
};

const runOn = async (api: string, id: string): Promise<RunView> => {
  const res = await cluster.fetch(`${api}/runs/${id}`);
  if (!res.ok) throw new Error(`GET ${api}/runs/${id}: ${res.status} ${await res.text()}`);
  return (await res.json()) as RunView;
};

const finishedOn = (api: string, id: string, timeoutMs = 90_000) =>
  waitFor(
    async () => {
      const v = await runOn(api, id);
      return ['succeeded', 'failed', 'cancelled'].includes(v.state) ? v : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `run ${id} to finish (read on ${api})` },
  );

/** A one-task plan whose task appends `<run> <task> <attempt>` to `ledger`, then sleeps. */
const ledgerPlan = (name: string, ledger: string, sleepS: number) => `
name: ${name}
teams: [{ name: ops }]
phases:
  - id: only
    tasks:
      - id: work
        team: ops
        role: Ops-Ledger
        retries: 2
        resources: { cpu: 5, memory: 256 }
        command: ["sh", "-c", "echo \\"$SHOAL_RUN_ID $SHOAL_TASK_ID $SHOAL_ATTEMPT\\" >> ${ledger}; sleep ${sleepS}; echo work done"]
`;

/** The run of a 201 answer (else fails with the answer). */
const created = async (res: Response): Promise<RunView> => {
  const body = (await res.json()) as RunView;
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}: ${JSON.stringify(body)}`);
  return body;
};

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');

describe('coordinator high availability (two replicas, one leader through a KV lease)', () => {
  it('kill -9 of the leader: the standby takes over within a few lease periods, the run completes, its attempt ran once', async () => {
    const first = cluster.api;
    const a = await leaderOf(first);
    expect(a.role).toBe('leader');
    second = await cluster.startCoordinator('coordinator-b');
    const b = await leaderOf(second.api);
    expect(b).toMatchObject({ role: 'standby', term: a.term, leader: { url: first, term: a.term, released: false } });
    const health = (await (await fetch(`${second.api}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, role: 'standby', term: a.term, leader: first });

    // a write sent to the standby is forwarded to the leader, Authorization included
    const ledger = join(dir, 'ledger-kill.txt');
    const submitted = await cluster.fetch(`${second.api}/runs`, { method: 'POST', body: ledgerPlan('ha-kill', ledger, 15), headers: { 'content-type': 'application/yaml' } });
    const { id } = await created(submitted);
    expect(submitted.headers.get('x-shoal-leader')).toBe(first);
    const unauthorized = await fetch(`${second.api}/runs`, { method: 'POST', body: ledgerPlan('ha-anon', ledger, 1), headers: { 'content-type': 'application/yaml' } });
    expect(unauthorized.status).toBe(401); // the leader judged the (missing) token

    // reads on the standby come from the runs bucket
    await waitFor(async () => (await runOn(second.api, id)).tasks[0]!.state === 'running', { timeoutMs: 60_000, what: 'the task running (read on the standby)' });
    const listed = (await (await cluster.fetch(`${second.api}/runs`)).json()) as { id: string }[];
    expect(listed.map((r) => r.id)).toContain(id);
    // the run's event stream on the standby is the leader's, relayed
    const stream = new AbortController();
    const sse = await cluster.fetch(`${second.api}/runs/${id}/events`, { signal: stream.signal, headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('x-shoal-leader')).toBe(first);
    const reader = sse.body!.getReader();
    let text = '';
    while (!text.includes('event: snapshot')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(`"id":"${id}"`);
    stream.abort();

    cluster.coordinator.child.kill('SIGKILL');
    await cluster.coordinator.exited;
    const killedAt = Date.now();

    // during the election a write is refused, naming the leader it could not reach
    const refused = await cluster.fetch(`${second.api}/runs/${id}/cancel`, { method: 'POST' });
    expect(refused.status).toBe(503);
    const body = (await refused.json()) as { error: string; message: string; retryable: boolean };
    expect(body).toMatchObject({ error: 'E_NOT_LEADER', retryable: true });
    expect(body.message).toContain(first);

    const took = await waitFor(
      async () => {
        const l = await leaderOf(second.api);
        return l.role === 'leader' ? l : undefined;
      },
      { timeoutMs: 6 * LEASE_MS, intervalMs: 100, what: 'the standby to take over' },
    );
    const takeoverMs = Date.now() - killedAt;
    process.stdout.write(`coordinator-ha: takeover after kill -9 of the leader: ${takeoverMs} ms (lease ${LEASE_MS} ms), term ${a.term} -> ${took.term}\n`);
    expect(took.term).toBeGreaterThan(a.term);
    expect(takeoverMs).toBeLessThan(3 * LEASE_MS);
    await second.process.waitForLine(/is the leader now/, 1000);

    const done = await finishedOn(second.api, id).catch(async (e: Error) => {
      throw new Error(`${e.message}\nrun: ${JSON.stringify(await runOn(second.api, id))}\ncoordinator-b:\n${second.process.outputTail(40)}`);
    });
    expect(done.state).toBe('succeeded');
    expect(done.tasks[0]).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(done.tasks[0]!.outputTail).toContain('work done');
    expect(lines(ledger)).toEqual([`${id} work 1`]);
  }, 180_000);

  it('a leader paused past its lease exits when it wakes; two replicas never lead at once and the term only grows', async () => {
    const third = await cluster.startCoordinator('coordinator-c');
    const replicas = { b: second, c: third };
    const samples: { round: number; who: string; role: string; term: number }[] = [];
    let round = 0;
    let monitoring = true;
    const monitor = (async () => {
      while (monitoring) {
        round += 1;
        const r = round;
        await Promise.all(
          Object.entries(replicas).map(async ([who, p]) => {
            const l = await leaderOf(p.api).catch(() => undefined); // a stopped process does not answer
            if (l) samples.push({ round: r, who, role: l.role, term: l.term });
          }),
        );
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    disposables.add(async () => {
      monitoring = false;
      await monitor;
    });
    const before = await leaderOf(second.api);
    expect(before.role).toBe('leader');
    await waitFor(async () => (await leaderOf(third.api)).leader?.term === before.term, { timeoutMs: 10_000, what: 'coordinator-c to see the lease' });

    second.process.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const took = await waitFor(
      async () => {
        const l = await leaderOf(third.api);
        return l.role === 'leader' ? l : undefined;
      },
      { timeoutMs: 6 * LEASE_MS, intervalMs: 100, what: 'coordinator-c to take over from the paused leader' },
    );
    process.stdout.write(`coordinator-ha: takeover from a paused (SIGSTOP) leader: ${Date.now() - stoppedAt} ms, term ${before.term} -> ${took.term}\n`);
    expect(took.term).toBeGreaterThan(before.term);

    // the new leader works: a run submitted to it completes once
    const ledger = join(dir, 'ledger-pause.txt');
    const submitted = await cluster.fetch(`${third.api}/runs`, { method: 'POST', body: ledgerPlan('ha-pause', ledger, 1), headers: { 'content-type': 'application/yaml' } });
    const { id } = await created(submitted);

    second.process.child.kill('SIGCONT');
    const exit = await second.process.exited;
    expect(exit.code).toBe(75);
    expect(second.process.outputTail(60)).toMatch(/is no longer the leader \(term \d+\): the lease is held by .* \(term \d+\) now; exiting/);

    expect((await finishedOn(third.api, id)).state).toBe('succeeded');
    expect(lines(ledger)).toEqual([`${id} work 1`]);

    // restarted (as shoal up's supervisor would), the old leader comes back as a standby ...
    const port = new URL(second.api).port;
    const again = await cluster.startCoordinator('coordinator-b2', { PORT: port, SHOAL_PUBLIC_URL: second.api });
    const back = await leaderOf(again.api).catch((e: Error) => {
      throw new Error(`${e.message}\ncoordinator-b2:\n${again.process.outputTail(40)}`);
    });
    expect(back).toMatchObject({ role: 'standby', leader: { url: third.api, term: took.term } });
    Object.assign(replicas, { b: again });
    // ... and takes over at once when the leader stops cleanly (SIGTERM releases the lease)
    const releasing = Date.now();
    await third.process.stop('SIGTERM', 15_000);
    const next = await waitFor(
      async () => {
        const l = await leaderOf(again.api);
        return l.role === 'leader' ? l : undefined;
      },
      { timeoutMs: 3 * LEASE_MS, intervalMs: 100, what: 'the restarted coordinator to take the released lease' },
    );
    const handoverMs = Date.now() - releasing;
    process.stdout.write(`coordinator-ha: handover after SIGTERM of the leader (lease released): ${handoverMs} ms, term ${took.term} -> ${next.term}\n`);
    expect(next.term).toBeGreaterThan(took.term);
    expect(third.process.outputTail(40)).toMatch(/released the lease/);

    await waitFor(() => samples.some((x) => x.role === 'leader' && x.term === next.term), { timeoutMs: 10_000, what: 'the monitor to see the last leader' });
    monitoring = false;
    await monitor;
    const rounds = new Map<number, string[]>();
    for (const s of samples) if (s.role === 'leader') rounds.set(s.round, [...(rounds.get(s.round) ?? []), s.who]);
    expect([...rounds.values()].filter((w) => w.length > 1)).toEqual([]);
    const leaderTerms = samples.filter((s) => s.role === 'leader').sort((x, y) => x.round - y.round).map((s) => s.term);
    expect(leaderTerms.length).toBeGreaterThan(5);
    expect(leaderTerms).toEqual([...leaderTerms].sort((x, y) => x - y));
    expect(new Set(leaderTerms)).toEqual(new Set([before.term, took.term, next.term]));
    last = again;
  }, 180_000);

  it('a leader outlives a bus pause longer than its lease: suspended meanwhile, then it leads on in the same term; the standby stays one', async () => {
    const watcher = await cluster.startCoordinator('coordinator-w');
    const before = await leaderOf(last.api);
    expect(before.role).toBe('leader');
    await waitFor(async () => (await leaderOf(watcher.api)).leader?.term === before.term, { timeoutMs: 10_000, what: 'coordinator-w to see the lease' });
    const ledger = join(dir, 'ledger-bus.txt');
    const submitted = await cluster.fetch(`${last.api}/runs`, { method: 'POST', body: ledgerPlan('ha-bus', ledger, 12), headers: { 'content-type': 'application/yaml' } });
    const { id } = await created(submitted);
    await waitFor(async () => (await runOn(last.api, id)).tasks[0]!.state === 'running', { timeoutMs: 60_000, what: 'the task running' });
    const natsPid = cluster.bus.nats.pid!;
    process.kill(natsPid, 'SIGSTOP');
    const pausedAt = Date.now();
    try {
      await last.process.waitForLine(/leadership suspended \(term \d+\)/, 3 * LEASE_MS);
      const during = await leaderOf(last.api);
      expect(during).toMatchObject({ role: 'suspended', term: before.term });
      const refused = await cluster.fetch(`${last.api}/runs/${id}/cancel`, { method: 'POST' });
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: string }).error).toBe('E_NOT_LEADER');
      await waitFor(() => Date.now() - pausedAt >= 2 * LEASE_MS, { timeoutMs: 3 * LEASE_MS, intervalMs: 250, what: 'the pause to last two lease periods' });
    } finally {
      process.kill(natsPid, 'SIGCONT');
    }
    await last.process.waitForLine(/leadership resumed \(term \d+\)/, 30_000);
    expect(await leaderOf(last.api)).toMatchObject({ role: 'leader', term: before.term });
    expect(last.process.exitStatus()).toBeUndefined();
    // the standby could not watch the lease during the pause: it watches afresh, the leader renews first
    await new Promise((res) => setTimeout(res, 2 * LEASE_MS));
    expect(await leaderOf(watcher.api)).toMatchObject({ role: 'standby', term: before.term });
    expect(await leaderOf(last.api)).toMatchObject({ role: 'leader', term: before.term });
    await watcher.process.stop('SIGTERM', 15_000);
    const done = await finishedOn(last.api, id);
    expect(done.state).toBe('succeeded');
    expect(done.tasks[0]).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(lines(ledger)).toEqual([`${id} work 1`]);
  }, 180_000);

  it('a node the old leader had lost (on_node_lost: wait) and that heartbeats again is back for the new leader: its attempt is kept', async () => {
    const standby = await cluster.startCoordinator('coordinator-d');
    const ledger = join(dir, 'ledger-back.txt');
    const plan = ledgerPlan('ha-back', ledger, 40).replace('        retries: 2\n', '        retries: 2\n        on_node_lost: wait\n        lost_after: 5m\n');
    const { id } = await created(await cluster.fetch(`${last.api}/runs`, { method: 'POST', body: plan, headers: { 'content-type': 'application/yaml' } }));
    await waitFor(async () => (await runOn(last.api, id)).tasks[0]!.state === 'running', { timeoutMs: 60_000, what: 'the task running' });
    const agent = cluster.agents[0]!;
    agent.child.kill('SIGSTOP');
    try {
      await waitFor(async () => (await runOn(standby.api, id)).tasks[0]!.nodeLostAt !== undefined, { timeoutMs: 30_000, intervalMs: 250, what: 'the leader to lose the paused node and keep its attempt' });
      await last.process.stop('SIGKILL', 5000);
    } finally {
      agent.child.kill('SIGCONT');
    }
    await waitFor(async () => (await leaderOf(standby.api)).role === 'leader', { timeoutMs: 6 * LEASE_MS, intervalMs: 100, what: 'coordinator-d to take over' });
    const back = await waitFor(
      async () => {
        const t = (await runOn(standby.api, id)).tasks[0]!;
        return t.nodeLostAt === undefined ? t : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200, what: 'the new leader to take the node back' },
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}\nrun: ${JSON.stringify(await runOn(standby.api, id))}\ncoordinator-d:\n${standby.process.outputTail(30)}`);
    });
    expect(back).toMatchObject({ state: 'running', attempt: 1 });
    expect(back.reason).toMatch(/is back; attempt 1 kept/);
    const done = await finishedOn(standby.api, id);
    expect(done.tasks[0]).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(lines(ledger)).toEqual([`${id} work 1`]);
    fourth = standby;
  }, 180_000);

  it('a leader killed holding a finished report it had not stored: the next leader waits for that report instead of declaring the attempt lost; nothing runs twice', async () => {
    // the report of the run below is the second status the failpoint coordinator receives (started, finished)
    const dying = await cluster.startCoordinator('coordinator-f', { SHOAL_FAILPOINTS: 'before-status-store@2' });
    await fourth.process.stop('SIGTERM', 15_000); // releases the lease: coordinator-f takes it
    await waitFor(async () => (await leaderOf(dying.api)).role === 'leader', { timeoutMs: 3 * LEASE_MS, intervalMs: 100, what: 'coordinator-f to lead' });
    const next = await cluster.startCoordinator('coordinator-g');
    const ledger = join(dir, 'ledger-report.txt');
    const { id } = await created(await cluster.fetch(`${dying.api}/runs`, { method: 'POST', body: ledgerPlan('ha-report', ledger, 2), headers: { 'content-type': 'application/yaml' } }));
    const exit = await dying.process.exited;
    expect(exit.signal).toBe('SIGKILL');
    const diedAt = Date.now();
    await waitFor(async () => (await leaderOf(next.api)).role === 'leader', { timeoutMs: 6 * LEASE_MS, intervalMs: 100, what: 'coordinator-g to take over' });
    const done = await finishedOn(next.api, id, 120_000).catch(async (e: Error) => {
      throw new Error(`${e.message}\ncoordinator-g:\n${next.process.outputTail(30)}`);
    });
    process.stdout.write(`coordinator-ha: a report held unacked by a killed leader was taken by the next one ${Date.now() - diedAt} ms after the kill\n`);
    expect(done.tasks[0]).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(done.tasks[0]!.lostAttempts).toBeUndefined();
    expect(lines(ledger)).toEqual([`${id} work 1`]);
  }, 180_000);
});
