import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { CACHE_KEY_FORM, CACHE_NAMESPACE_FORM, Id, IdempotencyKey, MAX_CACHE_TTL_MS, MENU_KEYS, MENU_KEYS_MAX, SEND_TEXT_MAX, agentsNeedingInput, runAgentsNeedingInput } from '@shoal/protocol';
import { z } from 'zod';
import { type ShoalHttpPort, cachePath, callApi, runPath, taskPath } from './http-port.js';
import { toolAnswer, toolApiError, toolData, toolFailure } from './tool-results.js';

/** The MCP server's name as clients list it. */
export const SHOAL_MCP_SERVER_NAME = 'shoal';

/** The tools {@link createShoalMcpServer} registers, in the order they are listed. */
export const SHOAL_MCP_TOOLS = [
  'submit_plan', 'list_runs', 'run_status', 'cancel_run', 'list_nodes', 'agents_needing_input',
  'send_to_agent', 'send_keys', 'choose_option', 'read_agent_screen', 'cache_get', 'cache_put', 'cache_list',
] as const;
export type ShoalMcpToolName = (typeof SHOAL_MCP_TOOLS)[number];

const run = Id.describe('run id, e.g. "r-1a2b3c" (an agent finds its own in $SHOAL_RUN_ID)');
const task = Id.describe('task id as written in the plan, e.g. "backend-dev"');
const ns = z.string().min(1).max(70).describe(`cache namespace: ${CACHE_NAMESPACE_FORM}`);
const key = z.string().min(1).max(200).describe(`cache key: ${CACHE_KEY_FORM}`);

const READ = { readOnlyHint: true, openWorldHint: false } as const;
const WRITE = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const;

/**
 * Shoal as an MCP server (issue 12): every tool is one call of Shoal's HTTP API through `port`,
 * with the caller's credentials, so scopes, task-token limits and validation are the API's own.
 * Answers are JSON text plus `structuredContent`; an API error comes back as `isError: true`
 * with `HTTP <status> <code>: <message>`, never as a protocol error. One server per connection
 * (the coordinator makes one per `POST /mcp`; `shoal mcp` one per process).
 */
export function createShoalMcpServer(port: ShoalHttpPort, version = '0.1.0'): McpServer {
  const server = new McpServer(
    { name: SHOAL_MCP_SERVER_NAME, version },
    {
      instructions:
        'Shoal runs fleets of CLI AI agents in tmux windows across machines. A plan (YAML or JSON) has teams and phases of tasks; ' +
        'submitting it starts a run. Use run_status to follow it, agents_needing_input to find agents waiting for someone, ' +
        'read_agent_screen to see what an agent shows, send_to_agent to type a line into it, and the cache_* tools for a ' +
        'key-value store shared by all agents. An agent token ($SHOAL_CACHE_TOKEN) opens only its own run and its cache namespaces.',
    },
  );
  // every tool answers: a port that cannot reach the API gives an isError answer, not a protocol error
  const tool = <S extends z.ZodRawShape>(name: ShoalMcpToolName, description: string, annotations: ToolAnnotations, inputSchema: S, fn: (args: z.infer<z.ZodObject<S>>) => Promise<CallToolResult>) =>
    server.registerTool(name, { description, inputSchema, annotations }, (async (args: z.infer<z.ZodObject<S>>) => {
      try {
        return await fn(args);
      } catch (e) {
        return toolFailure(e);
      }
    }) as never);

  tool(
    'submit_plan',
    'Start a run from a Shoal plan (YAML or JSON text: name, teams, phases of tasks with id, team, role and command or agent). ' +
      'Returns the new run (id, state, phases, tasks). A plan with mistakes is refused with every problem listed. Needs an API token with scope operate.',
    WRITE,
    {
      plan: z.string().min(1).describe('the plan as YAML or JSON text'),
      idempotency_key: IdempotencyKey.optional().describe('a key of your own for this submission (e.g. a UUID): calling again with the same key and plan returns the run the first call started instead of starting another'),
    },
    async ({ plan, idempotency_key }) => toolAnswer(await callApi(port, 'POST /runs', '/runs', { yaml: plan, ...(idempotency_key ? { idempotencyKey: idempotency_key } : {}) }), (v) => ({ ...v })),
  );
  tool(
    'list_runs',
    'List the runs Shoal knows, newest first: id, plan name, state and number of tasks.',
    READ,
    {},
    async () => toolAnswer(await callApi(port, 'GET /runs', '/runs'), (runs) => ({ runs })),
  );
  tool(
    'run_status',
    "One run's full state: its phases and tasks (state, attempt, node, exit code, reason, the tail of the output, and the running agent's detected state: working, waiting-for-input, menu, stalled, error...).",
    READ,
    { run },
    async (a) => toolAnswer(await callApi(port, 'GET /runs/:id', runPath(a.run)), (v) => ({ ...v })),
  );
  tool(
    'cancel_run',
    'Cancel a run: its running tasks are stopped and nothing more is started. Returns the run. Needs scope operate.',
    { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    { run },
    async (a) => toolAnswer(await callApi(port, 'POST /runs/:id/cancel', `${runPath(a.run)}/cancel`), (v) => ({ ...v })),
  );
  tool(
    'list_nodes',
    'List the machines (nodes) of the fleet with their state, CPU and memory use, labels and the tasks running on each. Needs an API token (an agent token may not list nodes).',
    READ,
    {},
    async () => toolAnswer(await callApi(port, 'GET /nodes', '/nodes'), (nodes) => ({ nodes })),
  );
  tool(
    'agents_needing_input',
    'List the running agents that wait for someone: waiting for input, showing a menu, stalled or in error, longest waiting first (run, task, attempt, node, state, since). ' +
      'Give `run` to look at one run only (an agent token must give its own run).',
    READ,
    { run: run.optional() },
    async (a) => {
      if (a.run !== undefined) return toolAnswer(await callApi(port, 'GET /runs/:id', runPath(a.run)), (v) => ({ agents: runAgentsNeedingInput(v) }));
      return toolAnswer(await callApi(port, 'GET /nodes', '/nodes'), (nodes) => ({ agents: agentsNeedingInput(nodes) }));
    },
  );
  tool(
    'send_to_agent',
    "Type one line of text into a running task's terminal (an agent's prompt), then Enter. `verified` says the text was seen on the screen before Enter. Needs scope operate, or an agent token of the same run.",
    WRITE,
    { run, task, text: z.string().min(1).max(SEND_TEXT_MAX).describe('one line, no newlines or control characters') },
    async (a) =>
      toolAnswer(await callApi(port, 'POST /runs/:id/tasks/:task/send', `${taskPath(a.run, a.task)}/send`, { json: { text: a.text } }), (v) => ({ ...v })),
  );
  tool(
    'send_keys',
    `Press named keys in a running task's terminal, e.g. to move in a menu: ["Down", "Enter"]. Allowed: ${MENU_KEYS.join(' ')} (no text: use send_to_agent). ` +
      '`changed` says whether the screen changed. Needs scope operate, or an agent token of the same run.',
    WRITE,
    { run, task, keys: z.array(z.enum(MENU_KEYS)).min(1).max(MENU_KEYS_MAX).describe('tmux key names, pressed in order') },
    async (a) =>
      toolAnswer(await callApi(port, 'POST /runs/:id/tasks/:task/keys', `${taskPath(a.run, a.task)}/keys`, { json: { keys: a.keys } }), (v) => ({ ...v })),
  );
  tool(
    'choose_option',
    "Pick an option of the menu a running agent shows (state `menu`), by its number (1 = top) or a case-insensitive part of its label, e.g. \"Yes, I trust this folder\" or 2. " +
      'Shoal moves the selection there, presses Enter and checks the screen changed; an unknown or ambiguous option is refused with the options listed. Needs scope operate, or an agent token of the same run.',
    WRITE,
    { run, task, option: z.union([z.number().int().min(1).max(99), z.string().min(1).max(200)]).describe('option number or label') },
    async (a) =>
      toolAnswer(await callApi(port, 'POST /runs/:id/tasks/:task/choose', `${taskPath(a.run, a.task)}/choose`, { json: { option: a.option } }), (v) => ({ ...v })),
  );
  tool(
    'read_agent_screen',
    "Read what a running task's terminal shows now (its tmux pane), optionally with `lines` of scroll-back above the screen.",
    READ,
    { run, task, lines: z.number().int().min(0).max(10_000).optional().describe('lines of history above the visible screen (default 0)') },
    async (a) => {
      const query = a.lines === undefined ? '' : `?lines=${a.lines}`;
      return toolAnswer(await callApi(port, 'GET /runs/:id/tasks/:task/capture', `${taskPath(a.run, a.task)}/capture${query}`), (v) => ({ ...v }));
    },
  );
  tool(
    'cache_get',
    'Read an entry of the cache all agents share. Returns `found: true` with the value, size, putAt and expiresAt (ms since the epoch), or `found: false` when the key is absent or expired.',
    READ,
    { ns, key },
    async (a) => {
      const got = await callApi(port, 'GET /cache/:ns/:key', cachePath(a.ns, a.key));
      if (!got.ok && got.status === 404) return toolData({ found: false, ns: a.ns, key: a.key });
      return got.ok ? toolData({ found: true, ...got.value }) : toolApiError(got);
    },
  );
  tool(
    'cache_put',
    'Store a JSON value (string, number, object...) in the cache all agents share, at most 256 KiB; it expires after ttlSeconds (default 24 h, at most 7 days). Returns the stored entry.',
    WRITE,
    {
      ns,
      key,
      value: z.unknown().describe('any JSON value'),
      ttlSeconds: z.number().int().min(1).max(MAX_CACHE_TTL_MS / 1000).optional().describe('seconds until the entry expires'),
    },
    async (a) => {
      const body = { value: a.value ?? null, ...(a.ttlSeconds === undefined ? {} : { ttl: a.ttlSeconds }) };
      return toolAnswer(await callApi(port, 'PUT /cache/:ns/:key', cachePath(a.ns, a.key), { json: body }), (v) => ({ ...v }));
    },
  );
  tool(
    'cache_list',
    'List the live keys of a cache namespace (values left out): key, size, putAt, expiresAt.',
    READ,
    { ns },
    async (a) => toolAnswer(await callApi(port, 'GET /cache/:ns', cachePath(a.ns)), (v) => ({ ...v })),
  );
  return server;
}
