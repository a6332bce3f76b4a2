import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CacheEntryView, MintedApiToken, RunView, TaskCaptureReply } from '@shoal/protocol';
import { SHOAL_MCP_TOOLS } from '@shoal/runtime';
import { Disposables, waitFor } from '@shoal/testing';
import { ROOT, type TestCluster, startOneNodeCluster } from '../support/cluster.js';

const disposables = new Disposables();
let cluster: TestCluster;
let dir: string;

afterAll(() => disposables.disposeAll(), 120_000);

beforeAll(async () => {
  ({ cluster, dir } = await startOneNodeCluster(disposables, { nodeId: 'mcp-node' }));
}, 120_000);

const SDK = join(ROOT, 'node_modules/@modelcontextprotocol/sdk/dist/esm');
const FAKE_AGENT = join(ROOT, 'test/fixtures/fake-agent.mjs');

/** An MCP client of the coordinator's `/mcp` (streamable HTTP) with `token` as bearer. */
async function httpClient(token: string | undefined): Promise<Client> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const client = new Client({ name: 'mcp-server-test', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${cluster.api}/mcp`), { requestInit: { headers } }));
  disposables.add(() => client.close());
  return client;
}

async function mint(scope: 'read' | 'operate', name: string): Promise<string> {
  const res = await cluster.fetch(`${cluster.api}/tokens`, { method: 'POST', body: JSON.stringify({ scope, name }), headers: { 'content-type': 'application/json' } });
  return ((await res.json()) as MintedApiToken).token;
}

type ToolResult = Awaited<ReturnType<Client['callTool']>>;
const text = (r: ToolResult) => (r.content as { text: string }[])[0]!.text;
const data = <T>(r: ToolResult) => r.structuredContent as T;

describe('Shoal as an MCP server (the SDK\'s own client against a secured cluster)', () => {
  let operate: Client;

  it('over streamable HTTP with an operate token: lists the tools, submits a plan, reads the agent\'s screen, talks to it, follows the run, uses the cache', async () => {
    operate = await httpClient(await mint('operate', 'mcp-operator'));
    expect((await operate.listTools()).tools.map((t) => t.name)).toEqual([...SHOAL_MCP_TOOLS]);

    const plan = 'name: mcp-hello\nteams: [{ name: ops }]\nphases:\n  - id: a\n    tasks:\n      - { id: greeter, team: ops, role: Greeter, command: [bash, -c, \'echo "ready for a name"; read name; echo "hello $name"\'], resources: { cpu: 10, memory: 256 } }\n';
    const submitted = await operate.callTool({ name: 'submit_plan', arguments: { plan } });
    expect(submitted.isError).toBeFalsy();
    const runId = data<RunView>(submitted).id;
    expect(data<RunView>(submitted).tasks.map((t) => t.id)).toEqual(['greeter']);

    const screen = async () => data<TaskCaptureReply>(await operate.callTool({ name: 'read_agent_screen', arguments: { run: runId, task: 'greeter' } })).text ?? '';
    await waitFor(async () => (await screen()).includes('ready for a name'), { timeoutMs: 30_000, what: 'the greeter to ask for a name' });
    const sent = await operate.callTool({ name: 'send_to_agent', arguments: { run: runId, task: 'greeter', text: 'Ada' } });
    expect(sent.structuredContent).toMatchObject({ runId, taskId: 'greeter', verified: true });

    const done = await waitFor(
      async () => {
        const view = data<RunView>(await operate.callTool({ name: 'run_status', arguments: { run: runId } }));
        return ['succeeded', 'failed', 'cancelled'].includes(view.state) && view;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `run ${runId} to finish` },
    );
    expect(done.state).toBe('succeeded');
    expect(done.tasks[0]!.outputTail).toMatch(/hello Ada/);
    expect(data<{ runs: { id: string }[] }>(await operate.callTool({ name: 'list_runs', arguments: {} })).runs.map((r) => r.id)).toContain(runId);
    expect(data<{ nodes: { id: string }[] }>(await operate.callTool({ name: 'list_nodes', arguments: {} })).nodes.map((n) => n.id)).toEqual(['mcp-node']);

    const put = await operate.callTool({ name: 'cache_put', arguments: { ns: 'team:ops', key: 'api-url', value: { url: 'http://127.0.0.1:4000' }, ttlSeconds: 600 } });
    expect(put.structuredContent).toMatchObject({ ns: 'team:ops', key: 'api-url' });
    expect((await operate.callTool({ name: 'cache_get', arguments: { ns: 'team:ops', key: 'api-url' } })).structuredContent).toMatchObject({ found: true, value: { url: 'http://127.0.0.1:4000' } });
    expect((await operate.callTool({ name: 'cache_list', arguments: { ns: 'team:ops' } })).structuredContent).toMatchObject({ entries: [{ key: 'api-url' }] });
    // the HTTP API sees the same entry: the tools are the API
    expect(((await (await cluster.fetch(`${cluster.api}/cache/team:ops/api-url`)).json()) as CacheEntryView).value).toEqual({ url: 'http://127.0.0.1:4000' });
  });

  it('refuses: 401 without a token, 405 on GET, isError for a bad argument, the API\'s 403 for a read token that submits; serves a 70 KiB plan', async () => {
    await expect(httpClient(undefined)).rejects.toThrow(/401|no API token/);
    const raw = await fetch(`${cluster.api}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
    expect(raw.status).toBe(401);
    expect(((await raw.json()) as { message: string }).message).toMatch(/no API token: .*SHOAL_CACHE_TOKEN/);
    expect((await fetch(`${cluster.api}/mcp`)).status).toBe(405);

    const bad = await operate.callTool({ name: 'read_agent_screen', arguments: { run: 'Not a run!', task: 'x' } });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/Invalid arguments for tool read_agent_screen/);
    const lines = await operate.callTool({ name: 'read_agent_screen', arguments: { run: 'r-nope', task: 'x', lines: -1 } });
    expect(lines.isError).toBe(true);

    // a JSON-RPC body over 64 KiB reaches the route as text (the coordinator's JSON parser) and is still served
    const big = `# ${'x'.repeat(70 * 1024)}\nname: mcp-big\nteams: [{ name: ops }]\nphases:\n  - id: a\n    tasks:\n      - { id: t, team: ops, role: R, command: [node, -v], resources: { cpu: 10, memory: 256 } }\n`;
    const accepted = await operate.callTool({ name: 'submit_plan', arguments: { plan: big } });
    expect(accepted.isError).toBeFalsy();
    expect(data<RunView>(accepted).plan).toBe('mcp-big');

    const reader = await httpClient(await mint('read', 'mcp-reader'));
    expect((await reader.callTool({ name: 'list_runs', arguments: {} })).isError).toBeFalsy();
    const refused = await reader.callTool({ name: 'submit_plan', arguments: { plan: 'name: x' } });
    expect(refused).toMatchObject({ isError: true, structuredContent: { status: 403, error: 'E_FORBIDDEN' } });
    expect(text(refused)).toBe('HTTP 403 E_FORBIDDEN: needs scope operate; this token has read');
    const missing = await reader.callTool({ name: 'run_status', arguments: { run: 'r-nope' } });
    expect(text(missing)).toMatch(/^HTTP 404 E_NOT_FOUND: /);
  });

  it('a PM agent drives two dev agents with its task token: its own run only, no nodes, no plans; an operator cancels the run', async () => {
    const pm = join(dir, 'pm.mjs');
    writeFileSync(pm, pmScript());
    // the devs: interactive fake agents (a "> " prompt, read as waiting-for-input; each line they get is appended to a file)
    const dev = (name: string) => `{ id: ${name}, team: web, role: ${name}, command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(FAKE_AGENT)}, ${JSON.stringify(join(dir, `${name}.txt`))}], interactive: true, resources: { cpu: 10, memory: 256 } }`;
    const other = (await cluster.submit('name: other\nteams: [{ name: ops }]\nphases:\n  - id: a\n    tasks:\n      - { id: t, team: ops, role: R, command: [node, -v], resources: { cpu: 10, memory: 256 } }\n')).id;
    const run = await cluster.submit(
      'name: pm-drives-devs\nteams: [{ name: web }]\nphases:\n  - id: build\n    tasks:\n' +
        `      - { id: pm, team: web, role: PM, command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(pm)}], env: { TRANSCRIPT: ${JSON.stringify(join(dir, 'pm.json'))}, OTHER_RUN: ${other} }, resources: { cpu: 20, memory: 256 } }\n` +
        `      - ${dev('dev-api')}\n      - ${dev('dev-web')}\n`,
    );
    disposables.add(() => cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' }).catch(() => undefined));
    const pmState = async () => data<RunView>(await operate.callTool({ name: 'run_status', arguments: { run: run.id } })).tasks.find((t) => t.id === 'pm')!.state;
    expect(await waitFor(async () => ['succeeded', 'failed'].includes(await pmState()) && (await pmState()), { timeoutMs: 90_000, intervalMs: 250, what: 'the PM to finish' })).toBe('succeeded');
    // the devs would wait for more work forever: the operator ends the run
    const cancelled = await operate.callTool({ name: 'cancel_run', arguments: { run: run.id } });
    expect(cancelled.isError).toBeFalsy();
    const done = await cluster.waitForRun(run.id, 30_000);
    expect([done.state, ...done.tasks.map((t) => `${t.id}:${t.state}`)]).toEqual(['cancelled', 'pm:succeeded', 'dev-api:cancelled', 'dev-web:cancelled']);
    expect(readFileSync(join(dir, 'dev-api.txt'), 'utf8')).toBe('build GET /users\n');
    expect(readFileSync(join(dir, 'dev-web.txt'), 'utf8')).toBe('build the users page\n');

    const transcript = JSON.parse(readFileSync(join(dir, 'pm.json'), 'utf8')) as { tool: string; args: Record<string, unknown>; isError: boolean; text: string; ms: number }[];
    if (process.env.SHOAL_MCP_EXAMPLE_OUT) copyFileSync(join(dir, 'pm.json'), process.env.SHOAL_MCP_EXAMPLE_OUT);
    const calls = (tool: string) => transcript.filter((c) => c.tool === tool);
    // what the task token may: its run, its devs' state, screens and prompts, its cache namespaces
    const waiting = JSON.parse(calls('agents_needing_input')[0]!.text) as { agents: { taskId: string; agent: { state: string } }[] };
    expect(waiting.agents.map((a) => `${a.taskId}:${a.agent.state}`).sort()).toEqual(['dev-api:waiting-for-input', 'dev-web:waiting-for-input']);
    expect(calls('send_to_agent').map((c) => [c.args.task, c.isError, JSON.parse(c.text).verified])).toEqual([['dev-api', false, true], ['dev-web', false, true]]);
    expect(calls('read_agent_screen').some((c) => !c.isError && c.text.includes('ok 1: build GET /users'))).toBe(true);
    expect(calls('cache_put').map((c) => [c.args.ns, c.isError])).toEqual([[`run:${run.id}`, false], ['team:other', true]]);
    // and what it may not
    const refusal = (tool: string) => calls(tool).find((c) => c.isError)?.text;
    expect(refusal('list_nodes')).toMatch(/^HTTP 403 E_FORBIDDEN: GET \/nodes needs an API token with scope read: a task token opens \/mcp, \/cache/);
    expect(refusal('submit_plan')).toMatch(/^HTTP 403 E_FORBIDDEN: POST \/runs needs an API token with scope operate/);
    expect(refusal('cancel_run')).toMatch(/^HTTP 403 E_FORBIDDEN: POST \/runs\/[a-z0-9-]+\/cancel needs an API token with scope operate/);
    expect(refusal('run_status')).toBe(`HTTP 403 E_FORBIDDEN: GET /runs/${other}: this task token opens its own run ${run.id} only, not ${other}`);
    expect(refusal('agents_needing_input')).toMatch(/^HTTP 403 E_FORBIDDEN: GET \/nodes/);
    // the PM's report is in the run's namespace for anyone with a token
    const report = (await operate.callTool({ name: 'cache_get', arguments: { ns: `run:${run.id}`, key: 'pm-report' } })).structuredContent as { value: Record<string, string> };
    expect(report.value).toEqual({ 'dev-api': 'build GET /users', 'dev-web': 'build the users page' });
  });

  it('over stdio (`shoal mcp` of the built CLI): lists the tools and calls one; refuses --json', async () => {
    const cli = join(ROOT, 'apps/cli/dist/main.js');
    const env = { PATH: process.env.PATH!, SHOAL_API: cluster.api, SHOAL_TOKEN: cluster.token, SHOAL_HOME: dir };
    const refused = spawnSync(process.execPath, [cli, '--json', 'mcp'], { env, input: '', encoding: 'utf8' });
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe('');
    expect(JSON.parse(refused.stderr)).toMatchObject({ error: 'E_VALIDATION' });
    const transport = new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp'], env, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'stdio-test', version: '0' });
    await client.connect(transport);
    disposables.add(() => client.close());
    expect((await client.listTools()).tools).toHaveLength(SHOAL_MCP_TOOLS.length);
    const nodes = await client.callTool({ name: 'list_nodes', arguments: {} });
    expect(data<{ nodes: { id: string; state: string }[] }>(nodes).nodes).toMatchObject([{ id: 'mcp-node', state: 'alive' }]);
    await client.close();
    expect(stderr).toBe('');
  });
});

/** The PM agent: an MCP client of `<SHOAL_CACHE_URL minus /cache>/mcp` with its task token; records its calls in $TRANSCRIPT (of a poll, the last). */
function pmScript(): string {
  return `import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from ${JSON.stringify(`${SDK}/client/index.js`)};
import { StreamableHTTPClientTransport } from ${JSON.stringify(`${SDK}/client/streamableHttp.js`)};

const { SHOAL_CACHE_URL, SHOAL_CACHE_TOKEN, SHOAL_RUN_ID: run, TRANSCRIPT, OTHER_RUN } = process.env;
const url = new URL(SHOAL_CACHE_URL.replace(/\\/cache$/, '/mcp'));
const client = new Client({ name: 'pm-agent', version: '1' });
await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: 'Bearer ' + SHOAL_CACHE_TOKEN } } }));
const transcript = [];
async function ask(tool, args = {}) {
  const t0 = performance.now();
  const r = await client.callTool({ name: tool, arguments: args });
  return { tool, args, isError: !!r.isError, text: r.content[0].text, ms: Math.round(performance.now() - t0) };
}
const call = async (tool, args) => { const entry = await ask(tool, args); transcript.push(entry); return entry; };
/** Asks until done(answer); records the last answer. */
async function poll(tool, args, done) {
  for (const deadline = Date.now() + 45000; Date.now() < deadline; await sleep(250)) {
    const entry = await ask(tool, args);
    if (!entry.isError && done(JSON.parse(entry.text))) return transcript.push(entry);
  }
  throw new Error('gave up polling ' + tool + ' ' + JSON.stringify(args));
}
try {
  const assignments = { 'dev-api': 'build GET /users', 'dev-web': 'build the users page' };
  await call('run_status', { run });
  await poll('agents_needing_input', { run }, ({ agents }) => Object.keys(assignments).every((d) => agents.some((a) => a.taskId === d && a.agent.state === 'waiting-for-input')));
  await call('read_agent_screen', { run, task: 'dev-api' });
  for (const [dev, work] of Object.entries(assignments)) await call('send_to_agent', { run, task: dev, text: work });
  for (const [dev, work] of Object.entries(assignments)) await poll('read_agent_screen', { run, task: dev }, ({ text }) => text.includes('ok 1: ' + work.slice(0, 24)));
  await call('cache_put', { ns: 'run:' + run, key: 'pm-report', value: assignments, ttlSeconds: 3600 });
  // what a task token may not do
  await call('cache_put', { ns: 'team:other', key: 'x', value: 1 });
  await call('list_nodes');
  await call('agents_needing_input');
  await call('submit_plan', { plan: 'name: sneaky' });
  await call('cancel_run', { run });
  await call('run_status', { run: OTHER_RUN });
} finally {
  writeFileSync(TRANSCRIPT, JSON.stringify(transcript, null, 2));
  await client.close();
}
`;
}
