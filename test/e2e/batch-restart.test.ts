/**
 * A batch session does not survive a node-agent restart (SIGKILL): the members it had taken — the
 * one mid-turn and those waiting in its queue, already acked — are reported lost by the next
 * incarnation (its batch journal), so the coordinator retries them in a fresh session instead of
 * leaving them dispatched.
 */
import { join } from 'node:path';
import { Disposables, waitFor } from '@shoal/testing';
import { ROOT, type TestCluster, startOneNodeCluster } from '../support/cluster.js';
import { lines } from '../support/files.js';

const STAND_IN = join(ROOT, 'test/fixtures/stand-in-agent.mjs');
const disposables = new Disposables();
let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  ({ cluster, dir } = await startOneNodeCluster(disposables, { nodeId: 'node-r' }));
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);


it('members taken by a killed node-agent are reported lost at its restart and retried in a new session', async () => {
  const record = join(dir, 'record.txt');
  const agent = `["${process.execPath}", "${STAND_IN}", "${record}", "300", "20", "3000"]`;
  const run = await cluster.submit(`
name: batch-restart
teams: [{ name: fe }]
phases:
  - id: work
    tasks:
      - { id: r1, team: fe, role: Agent, command: ${agent}, interactive: true, batch: b, prompt: "restart prompt one", retries: 1, timeout: 90s }
      - { id: r2, team: fe, role: Agent, command: ${agent}, interactive: true, batch: b, prompt: "restart prompt two", retries: 1, timeout: 90s }
      - { id: r3, team: fe, role: Agent, command: ${agent}, interactive: true, batch: b, prompt: "restart prompt three", retries: 1, timeout: 90s }
`);
  disposables.add(() => cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' }).catch(() => undefined));
  await waitFor(() => lines(record).some((l) => / restart prompt /.test(l)), { timeoutMs: 60_000, what: 'the first prompt to reach the agent' });
  await waitFor(async () => (await cluster.get(run.id)).tasks.every((t) => t.state === 'dispatched' || t.state === 'running'), { timeoutMs: 30_000, what: 'every member to be on the node' });
  const agentProcess = await cluster.restartAgent(0);
  await waitFor(() => agentProcess.outputTail(200).includes('3 batch member(s) taken by a previous incarnation reported lost'), { timeoutMs: 30_000, what: 'the restarted node-agent to report the members lost' });
  const done = await cluster.waitForRun(run.id, 120_000);
  expect(done.tasks.map((t) => `${t.id}:${t.state}:${t.attempt}`)).toEqual(['r1:succeeded:2', 'r2:succeeded:2', 'r3:succeeded:2']);
  const starts = lines(record).filter((l) => l.startsWith('start '));
  expect(starts).toHaveLength(2); // the killed incarnation's agent, and one fresh session for the three retries
  const second = starts[1]!.split(' ')[1];
  expect(lines(record).filter((l) => l.startsWith(`${second} `)).map((l) => l.slice(second!.length + 1)).sort()).toEqual(['restart prompt one', 'restart prompt three', 'restart prompt two']);
}, 240_000);
