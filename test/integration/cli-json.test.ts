import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, spawnProcess, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import type {
  AgentNeedingInput,
  ApiErrorBody,
  ApiTokenView,
  CacheEntryView,
  FleetStreamMessage,
  MintedApiToken,
  MintedJoinToken,
  NodeActionReply,
  NodeRemovedReply,
  NodeRow,
  RevokedTokenReply,
  RunSummary,
  RunView,
  StopEverywhereReply,
  TaskCaptureReply,
  TaskLogReply,
  TaskSendReply,
} from '@shoal/protocol';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';

/**
 * `--json` on every data command of the built CLI, against one real cluster (two nodes: the
 * second is removed at the end): stdout is exactly one JSON document in the API's reply shape (or
 * JSON lines for `monitor --json`), human notes go to stderr, errors are a JSON object on stderr
 * with the usual exit code.
 */
const exec = promisify(execFile);
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const FAKE_AGENT = join(ROOT, 'test/fixtures/fake-agent.mjs');
const disposables = new Disposables();
let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  const dir = tempDir('shoal-cli-json-');
  disposables.add(() => dir.dispose());
  work = dir.path;
  const nodes = ['a', 'b'].map((box) => ({ nodeId: `json-${box}`, tmuxSocket: tmuxSocket().name, dataDir: join(work, `node-${box}`), labels: `box=${box}` }));
  cluster = await startCluster(nodes, disposables);
}, 120_000);

afterAll(() => disposables.disposeAll(), 120_000);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI against this cluster (admin token); never rejects. */
async function shoal(...args: string[]): Promise<CliResult> {
  try {
    const r = await exec(process.execPath, [CLI, '--api', cluster.api, ...args], { cwd: work, env: { ...process.env, SHOAL_TOKEN: cluster.token } });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Runs a command with `--json`, expects exit 0, and parses all of stdout as one JSON document. */
async function data<T>(...args: string[]): Promise<T> {
  const r = await shoal(...args, '--json');
  if (r.code !== 0) throw new Error(`shoal ${args.join(' ')} --json: exit ${r.code}\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs a command with `--json` that must fail: empty stdout, one JSON error object on stderr. */
async function failure(...args: string[]): Promise<{ code: number; error: ApiErrorBody; stdout: string }> {
  const r = await shoal(...args, '--json');
  return { code: r.code, error: JSON.parse(r.stderr) as ApiErrorBody, stdout: r.stdout };
}

const task = (v: RunView, id: string) => v.tasks.find((t) => t.id === id)!;

describe('shoal --json', () => {
  let talk: RunView;

  it('run, status, status <run>, nodes and status --needs-me print the API replies', async () => {
    const plan = join(work, 'talk.yaml');
    writeFileSync(
      plan,
      `name: talk
teams: [{ name: fe }]
phases:
  - id: work
    tasks:
      - { id: agent, team: fe, role: Agent, requires: { box: a }, command: ["${process.execPath}", "${FAKE_AGENT}", "${join(work, 'agent-input.txt')}"], interactive: true }
`,
    );
    expect(await data<{ valid: boolean; issues: unknown[] }>('validate', plan)).toEqual({ valid: true, file: plan, issues: [] });
    talk = await data<RunView>('run', plan);
    expect(talk).toMatchObject({ plan: 'talk', tasks: [expect.objectContaining({ id: 'agent' })] });
    disposables.add(() => cluster.fetch(`${cluster.api}/runs/${talk.id}/cancel`, { method: 'POST' }).catch(() => undefined));

    const runs = await data<RunSummary[]>('status');
    expect(runs).toEqual([expect.objectContaining({ id: talk.id, plan: 'talk', tasks: 1 })]);
    await waitFor(async () => task(await data<RunView>('status', talk.id), 'agent').state === 'running', { timeoutMs: 30_000, what: 'the agent task to run' });

    // the global flag also works before the command's name
    const [nodes, before, waiting] = await Promise.all([data<NodeRow[]>('nodes'), shoal('--json', 'nodes'), data<AgentNeedingInput[]>('status', '--needs-me')]);
    expect(nodes.map((n) => [n.id, n.state]).sort()).toEqual([['json-a', 'alive'], ['json-b', 'alive']]);
    expect(JSON.parse(before.stdout)).toHaveLength(2);
    expect(Array.isArray(waiting)).toBe(true);
    for (const w of waiting) expect(w).toEqual(expect.objectContaining({ runId: expect.any(String), taskId: expect.any(String), nodeId: expect.any(String), agent: expect.any(Object) }));
  }, 60_000);

  it('capture, send and logs of a running agent print the task replies', async () => {
    let capture: TaskCaptureReply | undefined;
    await waitFor(async () => (capture = await data<TaskCaptureReply>('capture', talk.id, 'agent', '--lines', '50')).text.includes('fake agent ready'), { timeoutMs: 20_000, what: 'the agent screen' });
    expect(capture).toMatchObject({ runId: talk.id, taskId: 'agent', attempt: 1, nodeId: 'json-a' });
    const sent = await data<TaskSendReply>('send', talk.id, 'agent', 'hello', 'json');
    expect(sent).toMatchObject({ runId: talk.id, taskId: 'agent', nodeId: 'json-a', verified: true });
    let log: TaskLogReply | undefined;
    await waitFor(async () => /ok \d+: hello json/.test((log = await data<TaskLogReply>('logs', talk.id, 'agent')).text), { timeoutMs: 20_000, what: "the agent's reply in its streamed log" });
    expect(log).toMatchObject({ source: 'stream', state: 'running', taskId: 'agent' });
    expect(await data<TaskLogReply>('logs', talk.id, 'agent', '--node-file')).toMatchObject({ source: 'node', nodeId: 'json-a', file: expect.any(String) });
  }, 60_000);

  it('monitor --json streams the fleet events as JSON lines until Ctrl-C', async () => {
    const monitor = spawnProcess([process.execPath, CLI, '--api', cluster.api, 'monitor', '--json'], { name: 'shoal monitor --json', env: { ...process.env, SHOAL_TOKEN: cluster.token } });
    disposables.add(() => monitor.stop('SIGKILL', 5000));
    await monitor.waitForLine(/^\{"event":"runs"/, 20_000);
    const first = JSON.parse(monitor.stdout[0]!) as FleetStreamMessage;
    expect(first).toMatchObject({ event: 'runs', data: [expect.objectContaining({ id: talk.id })] });
    monitor.child.kill('SIGINT');
    expect((await monitor.exited).code).toBe(0);
    for (const l of monitor.stdout) expect(JSON.parse(l)).toEqual(expect.objectContaining({ event: expect.any(String), data: expect.anything() }));
  }, 30_000);

  it('cancel, and skip on a run that awaits an operator, print the run', async () => {
    const cancelled = await data<RunView>('cancel', talk.id);
    expect(cancelled.id).toBe(talk.id);
    await cluster.waitForRun(talk.id);

    const manual = await cluster.submit(`name: manual
teams: [{ name: ops }]
phases:
  - id: fix
    failure_policy: manual
    tasks: [{ id: broken, team: ops, role: Broken, command: ["false"] }]
`);
    await waitFor(async () => (await cluster.get(manual.id)).state === 'awaiting-operator', { timeoutMs: 30_000, what: 'the run to await an operator' });
    const skipped = await data<RunView>('skip', manual.id, 'broken');
    expect(skipped.id).toBe(manual.id);
    expect((await cluster.waitForRun(manual.id)).state).toBe('succeeded');
  }, 60_000);

  it('tokens, the dashboard URL and the cache print their replies; notes stay on stderr', async () => {
    const tokens = async () => {
      const minted = await data<MintedApiToken>('token', 'create', '--scope', 'read', '--name', 'json-test');
      expect(minted).toMatchObject({ scope: 'read', name: 'json-test', token: expect.any(String) });
      expect(await data<ApiTokenView[]>('token', 'list')).toEqual(expect.arrayContaining([expect.objectContaining({ id: minted.id, scope: 'read' })]));
      expect(await data<RevokedTokenReply>('token', 'revoke', minted.id)).toEqual({ ok: true, revoked: minted.id });
    };
    const joinToken = async () => {
      const minted = await data<MintedJoinToken>('token', 'join', '--ttl', '10m');
      expect(minted.command).toContain(minted.token);
    };
    const dashboard = async () => {
      const dash = await shoal('dashboard', '--json');
      expect({ code: dash.code, reply: JSON.parse(dash.stdout) as unknown }).toEqual({ code: 0, reply: { url: `${cluster.api}/` } });
      expect(dash.stderr).toMatch(/paste an API token/);
    };
    const cache = async () => {
      expect(await data<CacheEntryView>('cache', 'put', 'global', 'k', 'v')).toMatchObject({ ns: 'global', key: 'k', value: 'v' });
      expect(await data<CacheEntryView>('cache', 'get', 'global', 'k')).toMatchObject({ value: 'v' });
    };
    const missing = async () =>
      expect(await failure('cache', 'get', 'global', 'absent')).toMatchObject({ code: 1, stdout: '', error: { error: 'E_NOT_FOUND', message: expect.stringMatching(/not in the cache/) } });
    await Promise.all([tokens(), joinToken(), dashboard(), cache(), missing()]);
  }, 60_000);

  it('errors: a JSON object on stderr, nothing on stdout, the usual exit codes', async () => {
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, 'name: Bad Name\nteams: []\nphases: []\n');
    const [noRun, noNode, attach, usage, verdict] = await Promise.all([
      failure('status', 'no-such-run'),
      failure('nodes', 'remove', 'ghost'),
      failure('attach', 'r', 't'),
      failure('status', '--no-such-flag'),
      shoal('validate', bad, '--json'),
    ]);
    expect(noRun).toMatchObject({ code: 2, stdout: '', error: { error: 'E_NOT_FOUND' } });
    expect(noNode).toMatchObject({ code: 2, stdout: '', error: { error: 'E_NOT_FOUND' } });
    expect(attach).toMatchObject({ code: 2, stdout: '', error: { error: 'E_VALIDATION', message: expect.stringMatching(/not data/) } });
    expect(usage).toMatchObject({ code: 1, stdout: '', error: { error: 'E_VALIDATION', message: expect.stringMatching(/unknown option/) } });
    expect(verdict.code).toBe(2);
    expect(JSON.parse(verdict.stdout)).toMatchObject({ valid: false, file: bad, issues: expect.arrayContaining([expect.objectContaining({ path: 'teams' })]) });
    expect(JSON.parse(verdict.stderr)).toMatchObject({ error: 'E_VALIDATION', issues: expect.any(Array) });
  }, 30_000);

  it('stop-all, reset and emergency-cleanup print the node answers; nodes remove the removal', async () => {
    expect(await data<StopEverywhereReply>('stop-all')).toMatchObject({ ok: true, nodes: expect.arrayContaining([expect.objectContaining({ nodeId: 'json-a', ok: true })]) });
    expect(await data<NodeActionReply>('reset', '--node', 'json-b')).toMatchObject({ nodeId: 'json-b', ok: true });
    const cleanup = await data<StopEverywhereReply>('emergency-cleanup');
    expect(cleanup.nodes.map((n) => n.nodeId).sort()).toEqual(['json-a', 'json-b']);
    expect(await data<NodeRemovedReply>('nodes', 'remove', 'json-b')).toEqual({ ok: true, removed: 'json-b' });
  }, 60_000);
});
