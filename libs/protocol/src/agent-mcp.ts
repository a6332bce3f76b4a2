import { z } from 'zod';
import { Arg, CONTROL_CHARS, Env, MAX_ARG_LENGTH } from './plan-values.js';

/**
 * MCP servers for agents: the plan's `mcp:` field (on a team and on a task), the presets it may
 * name, the resolved server list a task carries to its node ({@link TaskMcp}), and Shoal's own server.
 * The node-agent writes the list in the form each agent CLI reads (apps/node-agent/src/mcp).
 */

/** Presets a plan may name in `mcp:`. */
export const MCP_PRESETS = ['serena', 'sequential-thinking', 'context7', 'eslint'] as const;
export type McpPreset = (typeof MCP_PRESETS)[number];

/** Name of Shoal's own MCP server, added by the node to every agent task with a cache grant. */
export const SHOAL_MCP_SERVER = 'shoal';
/** The environment variable that holds the task's token; Shoal's server entry refers to it by name. */
export const SHOAL_TOKEN_ENV = 'SHOAL_CACHE_TOKEN';

/**
 * Pinned versions of the presets (npm packages run with `npx -y`, serena from PyPI with `uvx`).
 * Bump here; docs/agents.md lists them.
 */
export const MCP_PRESET_VERSIONS: Readonly<Record<McpPreset, string>> = {
  serena: '1.5.5',
  'sequential-thinking': '2026.8.31',
  context7: '4.1.1',
  eslint: '0.3.13',
};

/** Serena's context per agent preset (it trims the tools the agent already has); others get `ide`. */
const SERENA_CONTEXT: Readonly<Record<string, string>> = { claude: 'claude-code', codex: 'codex', opencode: 'opencode' };

/** The command of a preset server for an agent (serena's context depends on the agent). */
export function mcpPresetCommand(preset: McpPreset, agent?: string): { command: string; args: string[] } {
  const v = MCP_PRESET_VERSIONS[preset];
  switch (preset) {
    case 'serena':
      return { command: 'uvx', args: ['--from', `serena-agent==${v}`, 'serena', 'start-mcp-server', '--context', SERENA_CONTEXT[agent ?? ''] ?? 'ide', '--project-from-cwd', '--enable-web-dashboard', 'false'] };
    case 'sequential-thinking':
      return { command: 'npx', args: ['-y', `@modelcontextprotocol/server-sequential-thinking@${v}`] };
    case 'context7':
      return { command: 'npx', args: ['-y', `@upstash/context7-mcp@${v}`] };
    case 'eslint':
      return { command: 'npx', args: ['-y', `@eslint/mcp@${v}`] };
  }
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const McpName = z.string().max(64);

/** A resolved stdio server: what the agent CLI starts. */
export const McpStdioServer = z.strictObject({
  name: McpName,
  transport: z.literal('stdio'),
  command: z.string().min(1).max(MAX_ARG_LENGTH),
  args: z.array(z.string().max(MAX_ARG_LENGTH)).max(256),
  env: z.record(z.string(), z.string()),
});
/** A resolved streamable-HTTP server; `bearerTokenEnv` names a variable whose value is sent as `Authorization: Bearer`. */
export const McpHttpServer = z.strictObject({
  name: McpName,
  transport: z.literal('http'),
  url: z.string().max(4096),
  headers: z.record(z.string(), z.string()),
  bearerTokenEnv: z.string().regex(ENV_NAME).optional(),
});
/** One resolved MCP server. */
export const McpServer = z.discriminatedUnion('transport', [McpStdioServer, McpHttpServer]);
export type McpServer = z.infer<typeof McpServer>;
export type McpHttpServer = z.infer<typeof McpHttpServer>;

/** What a task carries to its node: the plan's servers (team's merged with its own, presets expanded) and whether Shoal's own is wanted. */
export const TaskMcp = z.strictObject({ servers: z.array(McpServer).max(64), shoal: z.boolean() });
export type TaskMcp = z.infer<typeof TaskMcp>;

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

const Headers = z
  .record(
    z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, 'header names are HTTP tokens (letters, digits, "-")'),
    z.string().max(MAX_ARG_LENGTH).refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters'),
  )
  .refine((h) => Object.keys(h).length <= 32, 'at most 32 headers');

const PlanMcpStdio = z.strictObject({
  command: Arg.min(1, 'must not be empty'),
  args: z.array(Arg).max(256, 'must have at most 256 arguments').optional(),
  env: Env.optional(),
});
const PlanMcpHttp = z.strictObject({
  url: z.string().max(4096).refine(isHttpUrl, 'must be an http:// or https:// URL'),
  headers: Headers.optional(),
});
const PlanMcpPreset = z.strictObject({
  preset: z.enum(MCP_PRESETS, { error: `unknown MCP preset; presets: ${MCP_PRESETS.join(', ')}` }),
  env: Env.optional(),
});

/** One server as a plan declares it: `true` (the preset of its name), a preset name, `{preset, env?}`, `{command, args?, env?}`, `{url, headers?}`, or `false` (leave out one the team declared). */
export type McpEntry = boolean | McpPreset | z.output<typeof PlanMcpPreset> | z.output<typeof PlanMcpStdio> | z.output<typeof PlanMcpHttp>;

const ENTRY_HELP = `a preset name (${MCP_PRESETS.join(', ')}), true, false, {preset, env?}, {command, args?, env?} or {url, headers?}`;

const McpEntrySchema = z.unknown().transform((v, ctx): McpEntry => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if ((MCP_PRESETS as readonly string[]).includes(v)) return v as McpPreset;
    ctx.addIssue({ code: 'custom', message: `unknown MCP preset "${v}"; presets: ${MCP_PRESETS.join(', ')} (or give {command, args, env} or {url, headers})` });
    return z.NEVER;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: `must be ${ENTRY_HELP}` });
    return z.NEVER;
  }
  const schema = 'preset' in v ? PlanMcpPreset : 'url' in v ? PlanMcpHttp : 'command' in v ? PlanMcpStdio : undefined;
  if (!schema) {
    ctx.addIssue({ code: 'custom', message: `must be ${ENTRY_HELP}` });
    return z.NEVER;
  }
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  for (const issue of r.error.issues) ctx.addIssue({ ...issue, input: undefined } as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

/** `mcp:` as a list of preset names becomes the map form (`[serena]` = `{serena: true}`). */
function listToMap(v: unknown): unknown {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? Object.fromEntries(v.map((x) => [x, true])) : v;
}

/**
 * The plan's `mcp:` field (team and task): a list of preset names, or a map server name -> entry
 * (see {@link McpEntry}). A task's map is laid over its team's (same name: the task's wins; `false`
 * drops it). `shoal` is Shoal's own server: only `shoal: false` (leave it out) may be written.
 */
export const McpField = z.preprocess(
  listToMap,
  z
    .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'MCP server names are letters, digits, "_" and "-" (max 64)'), McpEntrySchema, {
      error: `must be a list of MCP preset names (e.g. [serena, context7]) or a map of server name -> ${ENTRY_HELP}`,
    })
    .superRefine((m, ctx) => {
      if (Object.keys(m).length > 32) ctx.addIssue({ code: 'custom', message: 'at most 32 MCP servers' });
      for (const [name, entry] of Object.entries(m)) {
        if (name === SHOAL_MCP_SERVER && entry !== false) {
          ctx.addIssue({ code: 'custom', path: [name], message: `"${SHOAL_MCP_SERVER}" is Shoal's own server, added to every agent task with a cache grant; only ${SHOAL_MCP_SERVER}: false (leave it out) may be written` });
        } else if (entry === true && !(MCP_PRESETS as readonly string[]).includes(name)) {
          ctx.addIssue({ code: 'custom', path: [name], message: `unknown MCP preset "${name}"; presets: ${MCP_PRESETS.join(', ')} (or give {command, args, env} or {url, headers})` });
        }
      }
    }),
);
/** The `mcp:` field after validation: server name -> entry. */
export type McpDecl = Record<string, McpEntry>;

function expand(name: string, entry: Exclude<McpEntry, false>, agent?: string): McpServer {
  if (entry === true) return { name, transport: 'stdio', ...mcpPresetCommand(name as McpPreset, agent), env: {} };
  if (typeof entry === 'string') return { name, transport: 'stdio', ...mcpPresetCommand(entry, agent), env: {} };
  if ('preset' in entry) return { name, transport: 'stdio', ...mcpPresetCommand(entry.preset, agent), env: { ...entry.env } };
  if ('url' in entry) return { name, transport: 'http', url: entry.url, headers: { ...entry.headers } };
  return { name, transport: 'stdio', command: entry.command, args: [...(entry.args ?? [])], env: { ...entry.env } };
}

/**
 * The MCP servers of a task: its team's `mcp` overlaid by its own, presets expanded for its agent.
 * Undefined when neither declares any (Shoal's own server is then still added on the node).
 */
export function resolveTaskMcp(team: McpDecl | undefined, task: McpDecl | undefined, agent?: string): TaskMcp | undefined {
  if (!team && !task) return undefined;
  const servers: McpServer[] = [];
  let shoal = true;
  for (const [name, entry] of Object.entries({ ...team, ...task })) {
    if (entry === false) {
      if (name === SHOAL_MCP_SERVER) shoal = false;
      continue;
    }
    servers.push(expand(name, entry, agent));
  }
  return { servers, shoal };
}

/**
 * Shoal's own server for a task with a cache grant: `<coordinator>/mcp` (the cache URL with its
 * trailing `/cache` replaced), streamable HTTP, the task token sent as a bearer token read from
 * {@link SHOAL_TOKEN_ENV} (the token itself never goes into a config file or argv).
 */
export function shoalMcpServer(cacheUrl: string): McpHttpServer {
  const base = cacheUrl.replace(/\/+$/, '');
  const url = base.endsWith('/cache') ? `${base.slice(0, -'/cache'.length)}/mcp` : `${base}/mcp`;
  return { name: SHOAL_MCP_SERVER, transport: 'http', url, headers: {}, bearerTokenEnv: SHOAL_TOKEN_ENV };
}
