import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, waitFor } from '@shoal/testing';
import type { AgentStatus, RunView } from '@shoal/protocol';
import { splitSse } from '../../apps/cli/src/sse.js';
import { ROOT, type TestCluster, startOneNodeCluster } from '../support/cluster.js';

const exec = promisify(execFile);
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const FAKE_AGENT = join(ROOT, 'test/fixtures/fake-agent.mjs');
const CLAUDE_MENU = join(ROOT, 'apps/node-agent/src/presets/fixtures/claude/menu-trust-folder.txt');
const disposables = new Disposables();
let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  ({ cluster, dir } = await startOneNodeCluster(disposables, { nodeId: 'node-t', env: { SHOAL_CPU_BAND: 'off' } }));
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

/**
 * A slow link to the API: requests pass through unchanged, but event streams open only after
 * `delayMs`, so the run's first task has started (and ended) before the CLI's stream is open.
 */
async function slowStreamsProxy(target: string, delayMs: number): Promise<string> {
  const server = createServer((req, res) => {
    const forward = () => {
      const up = request(`${target}${req.url}`, { method: req.method, headers: req.headers, agent: false }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.once('error', () => res.destroy());
      req.pipe(up);
    };
    if (/\/events$/.test(req.url ?? '')) setTimeout(forward, delayMs);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  disposables.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
  disposables.add(() => server.closeAllConnections());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Runs the built CLI against the cluster (stdout is a pipe: no TTY); never rejects. */
async function shoal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return shoalAt(cluster.api, ...args);
}

async function shoalAt(api: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [CLI, '--api', api, ...args], { env: { ...process.env, SHOAL_TOKEN: cluster.token, NO_COLOR: '1' } });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function planFile(name: string, text: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('shoal run --follow never misses an event', () => {
  // The first task starts at once and ends in milliseconds: it may be running, or finished,
  // before the CLI's event stream is open. Its running line must be there every time.
  const plan = () =>
    planFile(
      'instant',
      `
name: instant
teams: [{ name: t }]
phases:
  - id: first
    tasks:
      - { id: quick, team: t, role: Quick, command: ["sh", "-c", "echo quick"], resources: { cpu: 5, memory: 256 } }
  - id: second
    depends_on: [first]
    tasks:
      - { id: after, team: t, role: After, command: ["sh", "-c", "echo after"], resources: { cpu: 5, memory: 256 } }
`,
    );

  it.each([1, 2, 3])('plain lines, round %i: the first task has its running line', async () => {
    const r = await shoal('run', plan(), '--follow');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/task quick#1 running on node-t/);
    expect(r.stdout).toMatch(/task quick#1 succeeded on node-t exit 0/);
    expect(r.stdout).toMatch(/task after#1 running on node-t/);
    expect(r.stdout).toMatch(/phase second succeeded/);
    expect(r.stdout.match(/task quick#1 running/g)).toHaveLength(1); // replayed or live, never both
    expect(r.stdout).not.toMatch(/\u001b\[/); // no terminal control on a pipe
  }, 90_000);

  it.each([1, 2])('--json, round %i: one JSON object per line, the first task running included', async () => {
    const r = await shoal('run', plan(), '--follow', '--json');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'submitted', tasks: 2, phases: 2 });
    expect(lines.filter((e) => e.type === 'task' && e.taskId === 'quick' && e.state === 'running')).toEqual([
      expect.objectContaining({ attempt: 1, nodeId: 'node-t' }),
    ]);
    expect(lines.at(-1)).toMatchObject({ type: 'result', run: { state: 'succeeded' } });
  }, 90_000);

  it('over a link that opens the stream late (the run already ended): every line is replayed from the snapshot', async () => {
    const slow = await slowStreamsProxy(cluster.api, 5000);
    const r = await shoalAt(slow, 'run', plan(), '--follow', '--json');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const tasks = lines.filter((e) => e.type === 'task').map((e) => `${e.taskId as string} ${e.state as string}${e.replayed ? ' (replayed)' : ''}`);
    expect(tasks).toEqual(expect.arrayContaining(['quick running (replayed)', 'quick succeeded (replayed)', 'after running (replayed)', 'after succeeded (replayed)']));
    expect(tasks.filter((t) => t.startsWith('quick running'))).toHaveLength(1);
    const plain = await shoalAt(slow, 'run', plan(), '--follow');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/task quick#1 running on node-t\n.*task quick#1 succeeded on node-t exit 0/);
    expect(plain.stdout).toMatch(/phase second succeeded/);
  }, 90_000);
});

describe('agent state, live', () => {
  let run: RunView;
  const sseEvents: Record<string, unknown>[] = [];
  const abort = new AbortController();

  beforeAll(async () => {
    run = await cluster.submit(`
name: states
teams: [{ name: s }]
phases:
  - id: work
    tasks:
      - { id: prompt, team: s, role: Prompt, command: ["${process.execPath}", "${FAKE_AGENT}", "${join(dir, 'input.txt')}"], interactive: true, resources: { cpu: 5, memory: 256 } }
      - { id: menu, team: s, role: Menu, agent: claude, command: ["sh", "-c", "cat '${CLAUDE_MENU}'; exec sleep 300"], resources: { cpu: 5, memory: 256 } }
      - { id: plain, team: s, role: Plain, command: ["sleep", "300"], resources: { cpu: 5, memory: 256 } }
`);
    disposables.add(() => cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' }).catch(() => undefined));
    disposables.add(() => abort.abort());
    void (async () => {
      const res = await cluster.fetch(`${cluster.api}/runs/${run.id}/events`, { signal: abort.signal });
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        const { events, rest } = splitSse(buf);
        buf = rest;
        for (const e of events) if (e.event === 'agent') sseEvents.push(JSON.parse(e.data) as Record<string, unknown>);
      }
    })().catch(() => undefined);
  }, 60_000);

  const agentOf = async (taskId: string): Promise<AgentStatus | undefined> => (await cluster.get(run.id)).tasks.find((t) => t.id === taskId)?.agent;

  it('reaches the run view: a prompt is waiting-for-input, a menu is menu, a plain command is working', async () => {
    await waitFor(async () => (await agentOf('prompt'))?.state === 'waiting-for-input', { timeoutMs: 60_000, what: 'the fake agent read as waiting-for-input' });
    await waitFor(async () => (await agentOf('menu'))?.state === 'menu', { timeoutMs: 60_000, what: 'the claude trust menu read as menu' });
    await waitFor(async () => (await agentOf('plain'))?.state === 'working', { timeoutMs: 60_000, what: 'the plain command read as working' });
    const since = (await agentOf('prompt'))!.since;
    expect(since).toBeGreaterThan(run.submittedAt - 60_000);
  }, 120_000);

  it('is in the heartbeats (GET /nodes), in SSE agent events, in `shoal status` and `shoal status --needs-me`', async () => {
    const nodes = (await (await cluster.fetch(`${cluster.api}/nodes`)).json()) as { id: string; running: { taskId: string; agent?: AgentStatus }[] }[];
    const running = nodes.find((n) => n.id === 'node-t')!.running;
    expect(running.find((r) => r.taskId === 'menu')?.agent?.state).toBe('menu');

    // a change made now (the stream is open): the agent works 4 s (its last line is no prompt), then prompts again
    const seenBefore = sseEvents.length;
    const sent = await cluster.fetch(`${cluster.api}/runs/${run.id}/tasks/prompt/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'work 4000' }) });
    expect(sent.status).toBe(201);
    await waitFor(
      () => {
        const states = sseEvents.slice(seenBefore).filter((e) => e.taskId === 'prompt').map((e) => e.state);
        return states.includes('unknown') && states.lastIndexOf('waiting-for-input') > states.indexOf('unknown');
      },
      { timeoutMs: 30_000, what: 'agent events for the prompt: unknown while it works, then waiting-for-input again' },
    );
    expect(sseEvents.slice(seenBefore).find((e) => e.taskId === 'prompt')).toMatchObject({ type: 'agent', runId: run.id, attempt: 1, since: expect.any(Number), at: expect.any(Number) });

    const status = await shoal('status', run.id);
    expect({ code: status.code, stderr: status.stderr }).toEqual({ code: 0, stderr: '' });
    expect(status.stdout).toMatch(/prompt\s+running .* agent waiting-for-input \d+s !/);
    expect(status.stdout).toMatch(/plain\s+running .* agent working \d+s/);

    const needs = await shoal('status', '--needs-me');
    expect(needs.code).toBe(0);
    const listed = needs.stdout.trim().split('\n');
    expect(listed.some((l) => l.startsWith(run.id) && /prompt#1\s+node-t\s+waiting-for-input/.test(l))).toBe(true);
    expect(listed.some((l) => l.startsWith(run.id) && /menu#1\s+node-t\s+menu/.test(l))).toBe(true);
    expect(listed.some((l) => /plain#1/.test(l))).toBe(false);
  }, 90_000);
});
