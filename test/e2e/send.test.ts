import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import type { RunView } from '@shoal/protocol';
import { splitSse } from '../../apps/cli/src/sse.js';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';

const exec = promisify(execFile);
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const FAKE_AGENT = join(ROOT, 'test/fixtures/fake-agent.mjs');
const disposables = new Disposables();
let cluster: TestCluster;
let socket: string;
let dataDir: string;

beforeAll(async () => {
  const dir = tempDir();
  disposables.add(() => dir.dispose());
  dataDir = dir.path;
  const tmux = tmuxSocket();
  socket = tmux.name;
  disposables.add(() => tmux.dispose());
  cluster = await startCluster([{ nodeId: 'node-a', tmuxSocket: socket, dataDir: join(dir.path, 'node-a'), env: { SHOAL_CHECKIN_MS: '1500' } }], disposables);
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

/** Runs the built CLI against the cluster; resolves with exit code and output, never rejects. */
async function shoal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [CLI, '--api', cluster.api, ...args], { env: { ...process.env, SHOAL_TOKEN: cluster.token } });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Collects the run's server-sent events of one type until aborted. */
function collectEvents(runId: string, type: string): { events: Record<string, unknown>[]; stop(): void } {
  const events: Record<string, unknown>[] = [];
  const abort = new AbortController();
  void (async () => {
    const res = await cluster.fetch(`${cluster.api}/runs/${runId}/events`, { signal: abort.signal });
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      const { events: complete, rest } = splitSse(buf);
      buf = rest;
      for (const e of complete) if (e.event === type) events.push(JSON.parse(e.data) as Record<string, unknown>);
    }
  })().catch(() => undefined);
  return { events, stop: () => abort.abort() };
}

describe('talking to a running agent through the cluster', () => {
  let run: RunView;
  const inputFile = () => join(dataDir, 'agent-input.txt');
  const inputLines = () => {
    try {
      return readFileSync(inputFile(), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    run = await cluster.submit(`
name: talk
teams: [{ name: fe, checkin_prompt: "Status check: what is done?" }]
phases:
  - id: work
    tasks:
      - { id: agent, team: fe, role: Agent, command: ["${process.execPath}", "${FAKE_AGENT}", "${inputFile()}"], interactive: true }
`);
    disposables.add(() => cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' }).catch(() => undefined));
    await waitFor(async () => (await cluster.get(run.id)).tasks[0]!.state === 'running', { timeoutMs: 60_000, what: 'the agent task to run' });
  }, 90_000);

  it('`shoal capture` returns the pane text and `shoal send` lands in the agent input', async () => {
    await waitFor(
      async () => {
        const c = await shoal('capture', run.id, 'agent', '--lines', '500');
        if (c.code !== 0) throw new Error(c.stderr);
        return c.stdout.includes('fake agent ready');
      },
      { timeoutMs: 30_000, what: 'the agent screen via shoal capture' },
    );
    const sent = await shoal('send', run.id, 'agent', 'hello from', 'shoal send; $(touch /tmp/never)');
    expect({ code: sent.code, stderr: sent.stderr }).toEqual({ code: 0, stderr: '' });
    expect(sent.stdout).toMatch(/agent#1 on node-a: sent to .* \(seen in the pane/);
    await waitFor(() => inputLines().includes('hello from shoal send; $(touch /tmp/never)'), { timeoutMs: 15_000, what: 'the sent line in the agent input file' });
    await waitFor(async () => /ok \d+: hello from shoal send/.test((await shoal('capture', run.id, 'agent', '--lines', '100')).stdout), { timeoutMs: 15_000, what: 'the agent reply on screen' });
  }, 90_000);

  it('check-ins reach the agent on the interval and come back as checkin events', async () => {
    const sse = collectEvents(run.id, 'checkin');
    try {
      await waitFor(() => sse.events.length >= 1, { timeoutMs: 30_000, what: 'a checkin event' });
      expect(sse.events[0]).toMatchObject({ type: 'checkin', taskId: 'agent', attempt: 1, verified: true, reply: expect.stringMatching(/^ok \d+: Status check: what is do/) });
      expect(inputLines().some((l) => /^Status check: what is done\? \[check-in \d+\]$/.test(l))).toBe(true);
    } finally {
      sse.stop();
    }
  }, 60_000);

  it('`shoal attach` prints the tmux command for the node that runs the task', async () => {
    const r = await shoal('attach', run.id, 'agent');
    expect(r.code).toBe(0);
    const nodeHost = ((await (await cluster.fetch(`${cluster.api}/nodes`)).json()) as { hostname: string }[])[0]!.hostname;
    const cmd = `tmux -L ${socket} attach -t Task-fe:Agent`;
    expect(r.stdout.trim()).toBe(nodeHost === hostname() ? cmd : `ssh -t ${nodeHost} ${cmd}`);
    const sessions = await cluster.tmux(socket, ['list-windows', '-t', 'Task-fe', '-F', '#{window_name}']);
    expect(sessions.split('\n')).toContain('Agent');
  });

  it('refuses to send to an unknown task or a bad line', async () => {
    const unknown = await shoal('send', run.id, 'nosuch', 'hi');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/404/);
    const res = await cluster.fetch(`${cluster.api}/runs/${run.id}/tasks/agent/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'two\nlines' }) });
    expect(res.status).toBe(400);
  });
});
