import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { NodeRow, RunView } from '@shoal/protocol';
import { type PortAnswer, type PortBody, type ShoalHttpPort, encodePortBody } from './http-port.js';
import { SHOAL_MCP_TOOLS, createShoalMcpServer } from './shoal-tools.js';

type Call = { method: string; path: string; body?: PortBody };

/** A port that records each request and answers from a table (`'GET /runs'` -> answer); anything else 404. */
function fakePort(answers: Record<string, PortAnswer | (() => never)>): ShoalHttpPort & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    request: async (method, path, body) => {
      calls.push({ method, path, ...(body ? { body } : {}) });
      const a = answers[`${method} ${path}`];
      if (typeof a === 'function') return a();
      return a ?? { status: 404, body: { error: 'E_NOT_FOUND', message: `no ${path}` } };
    },
  };
}

async function connect(port: ShoalHttpPort): Promise<Client> {
  const [a, b] = InMemoryTransport.createLinkedPair();
  await createShoalMcpServer(port).connect(a);
  const client = new Client({ name: 'spec', version: '0' });
  await client.connect(b);
  return client;
}

const text = (r: Awaited<ReturnType<Client['callTool']>>) => (r.content as { type: string; text: string }[])[0]!.text;

const agent = (state: string, since: number) => ({ state, since }) as NodeRow['running'][number]['agent'];

describe('Shoal MCP tools (against a fake HTTP port)', () => {
  it('lists every tool with a description and an input schema', async () => {
    const client = await connect(fakePort({}));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([...SHOAL_MCP_TOOLS]);
    for (const t of tools) {
      expect(t.description!.length).toBeGreaterThan(40);
      expect(t.inputSchema.type).toBe('object');
    }
    expect(tools.find((t) => t.name === 'send_to_agent')!.inputSchema.required).toEqual(['run', 'task', 'text']);
    expect(tools.find((t) => t.name === 'send_keys')!.inputSchema.required).toEqual(['run', 'task', 'keys']);
    expect(tools.find((t) => t.name === 'choose_option')!.inputSchema.required).toEqual(['run', 'task', 'option']);
  });

  it('each tool is one request of the API: method, path (ids encoded), body', async () => {
    const port = fakePort({});
    const client = await connect(port);
    await client.callTool({ name: 'submit_plan', arguments: { plan: 'name: x' } });
    await client.callTool({ name: 'submit_plan', arguments: { plan: 'name: x', idempotency_key: 'pm-turn-3' } });
    await client.callTool({ name: 'run_status', arguments: { run: 'r-1' } });
    await client.callTool({ name: 'cancel_run', arguments: { run: 'r-1' } });
    await client.callTool({ name: 'send_to_agent', arguments: { run: 'r-1', task: 'dev', text: 'go on' } });
    await client.callTool({ name: 'send_keys', arguments: { run: 'r-1', task: 'dev', keys: ['Down', 'Enter'] } });
    await client.callTool({ name: 'choose_option', arguments: { run: 'r-1', task: 'dev', option: 'yes' } });
    await client.callTool({ name: 'choose_option', arguments: { run: 'r-1', task: 'dev', option: 2 } });
    await client.callTool({ name: 'read_agent_screen', arguments: { run: 'r-1', task: 'dev', lines: 20 } });
    await client.callTool({ name: 'cache_put', arguments: { ns: 'team:fe', key: 'a/b', value: { port: 4000 }, ttlSeconds: 60 } });
    await client.callTool({ name: 'cache_list', arguments: { ns: 'run:r-1' } });
    expect(port.calls).toEqual([
      { method: 'POST', path: '/runs', body: { yaml: 'name: x' } },
      { method: 'POST', path: '/runs', body: { yaml: 'name: x', idempotencyKey: 'pm-turn-3' } },
      { method: 'GET', path: '/runs/r-1' },
      { method: 'POST', path: '/runs/r-1/cancel' },
      { method: 'POST', path: '/runs/r-1/tasks/dev/send', body: { json: { text: 'go on' } } },
      { method: 'POST', path: '/runs/r-1/tasks/dev/keys', body: { json: { keys: ['Down', 'Enter'] } } },
      { method: 'POST', path: '/runs/r-1/tasks/dev/choose', body: { json: { option: 'yes' } } },
      { method: 'POST', path: '/runs/r-1/tasks/dev/choose', body: { json: { option: 2 } } },
      { method: 'GET', path: '/runs/r-1/tasks/dev/capture?lines=20' },
      { method: 'PUT', path: '/cache/team%3Afe/a%2Fb', body: { json: { value: { port: 4000 }, ttl: 60 } } },
      { method: 'GET', path: '/cache/run%3Ar-1' },
    ]);
  });

  it('send_keys refuses text that is not a key name before any request', async () => {
    const port = fakePort({});
    const client = await connect(port);
    const r = await client.callTool({ name: 'send_keys', arguments: { run: 'r-1', task: 'dev', keys: ['rm -rf /'] } });
    expect(r.isError).toBe(true);
    expect(port.calls).toEqual([]);
  });

  it('a reply is JSON text and structuredContent; lists are wrapped in an object', async () => {
    const runs = [{ id: 'r-1', plan: 'p', state: 'running', tasks: 2, submittedAt: 1 }];
    const client = await connect(fakePort({ 'GET /runs': { status: 200, body: runs } }));
    const r = await client.callTool({ name: 'list_runs', arguments: {} });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({ runs });
    expect(JSON.parse(text(r))).toEqual({ runs });
  });

  it('an API error is isError with status, code and message (and the issues of a 400), never a throw', async () => {
    const client = await connect(
      fakePort({
        'GET /nodes': { status: 403, body: { error: 'E_FORBIDDEN', message: 'needs scope read; this token has none' } },
        'POST /runs': { status: 400, body: { error: 'E_VALIDATION', message: 'invalid plan', issues: [{ path: 'phases', message: 'required' }] } },
        'GET /runs': { status: 502, body: 'Bad Gateway' },
      }),
    );
    const denied = await client.callTool({ name: 'list_nodes', arguments: {} });
    expect(denied).toMatchObject({ isError: true, structuredContent: { status: 403, error: 'E_FORBIDDEN' } });
    expect(text(denied)).toBe('HTTP 403 E_FORBIDDEN: needs scope read; this token has none');
    const invalid = await client.callTool({ name: 'submit_plan', arguments: { plan: 'x' } });
    expect(text(invalid)).toBe('HTTP 400 E_VALIDATION: invalid plan\n- phases: required');
    expect(text(await client.callTool({ name: 'list_runs', arguments: {} }))).toBe('HTTP 502 E_HTTP: Bad Gateway');
  });

  it('bad arguments and an unreachable API come back as isError too', async () => {
    const client = await connect(fakePort({ 'GET /runs': () => { throw new Error('connect ECONNREFUSED 127.0.0.1:1'); } }));
    const bad = await client.callTool({ name: 'run_status', arguments: { run: 'Not An Id!' } });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/Invalid arguments for tool run_status/);
    const down = await client.callTool({ name: 'list_runs', arguments: {} });
    expect(down).toMatchObject({ isError: true });
    expect(text(down)).toBe('cannot reach the Shoal API: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('cache_get: an entry is found: true, a 404 is found: false (not an error)', async () => {
    const entry = { ns: 'global', key: 'k', value: 1, size: 1, putAt: 1, expiresAt: 2 };
    const client = await connect(fakePort({ 'GET /cache/global/k': { status: 200, body: entry } }));
    expect((await client.callTool({ name: 'cache_get', arguments: { ns: 'global', key: 'k' } })).structuredContent).toEqual({ found: true, ...entry });
    const miss = await client.callTool({ name: 'cache_get', arguments: { ns: 'global', key: 'gone' } });
    expect(miss).toMatchObject({ structuredContent: { found: false, ns: 'global', key: 'gone' } });
    expect(miss.isError).toBeFalsy();
  });

  it('agents_needing_input: across nodes (lost ones left out) or one run from its view, longest waiting first', async () => {
    const running = (runId: string, taskId: string, a?: ReturnType<typeof agent>) => ({ runId, taskId, attempt: 1, ...(a ? { agent: a } : {}) });
    const nodes = [
      { id: 'n1', state: 'alive', running: [running('r-1', 'pm', agent('working', 1)), running('r-1', 'dev', agent('menu', 30)), running('r-2', 'x', agent('waiting-for-input', 10))] },
      { id: 'n2', state: 'lost', running: [running('r-1', 'old', agent('error', 1))] },
    ];
    const view = { id: 'r-1', tasks: [
      { id: 'pm', state: 'running', attempt: 1, nodeId: 'n1', agent: agent('working', 1) },
      { id: 'dev', state: 'running', attempt: 2, nodeId: 'n1', agent: agent('stalled', 5) },
      { id: 'done', state: 'succeeded', attempt: 1, agent: agent('error', 1) },
    ] } as unknown as RunView;
    const client = await connect(fakePort({ 'GET /nodes': { status: 200, body: nodes }, 'GET /runs/r-1': { status: 200, body: view } }));
    const fleet = await client.callTool({ name: 'agents_needing_input', arguments: {} });
    expect((fleet.structuredContent as { agents: { taskId: string; nodeId: string }[] }).agents.map((a) => `${a.taskId}@${a.nodeId}`)).toEqual(['x@n1', 'dev@n1']);
    const one = await client.callTool({ name: 'agents_needing_input', arguments: { run: 'r-1' } });
    expect(one.structuredContent).toEqual({ agents: [{ runId: 'r-1', taskId: 'dev', attempt: 2, nodeId: 'n1', agent: { state: 'stalled', since: 5 } }] });
  });
});

describe('encodePortBody', () => {
  it('sends JSON as JSON, a plan as YAML with its Idempotency-Key when given, nothing without a body', () => {
    expect(encodePortBody({ json: { a: 1 } })).toEqual({ headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
    expect(encodePortBody({ yaml: 'name: x', idempotencyKey: 'k-1' })).toEqual({ headers: { 'content-type': 'application/yaml', 'idempotency-key': 'k-1' }, payload: 'name: x' });
    expect(encodePortBody({ yaml: 'name: x' })).toEqual({ headers: { 'content-type': 'application/yaml' }, payload: 'name: x' });
    expect(encodePortBody(undefined)).toEqual({ headers: {} });
  });
});
