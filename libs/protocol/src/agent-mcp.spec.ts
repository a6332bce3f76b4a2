import { MCP_PRESETS, MCP_PRESET_VERSIONS, resolveTaskMcp, shoalMcpServer } from './agent-mcp.js';
import type { FieldIssue } from './errors.js';
import { type Result, validatePlanObject } from './plan-loader.js';
import { copiedSpecFields, TaskSpec } from './index.js';

type Obj = Record<string, any>;
const T = 'phases[0].tasks[0]';
const plan = (task: Obj = {}, team: Obj = {}): Obj => ({
  name: 'demo',
  teams: [{ name: 'fe', ...team }],
  phases: [{ id: 'one', tasks: [{ id: 'lead', team: 'fe', role: 'Lead', command: ['claude'], agent: 'claude', ...task }] }],
});
function issuesOf<T>(r: Result<T>): FieldIssue[] {
  if (r.ok) throw new Error(`expected the plan to be refused, got ${JSON.stringify(r.value)}`);
  return r.issues;
}
const presets = MCP_PRESETS.join(', ');

describe('plan field mcp: refusals', () => {
  it.each([
    ['an unknown preset in a list', { mcp: ['serena', 'nope'] }, `${T}.mcp.nope`, `unknown MCP preset "nope"; presets: ${presets} (or give {command, args, env} or {url, headers})`],
    ['an unknown preset as a value', { mcp: { docs: 'nope' } }, `${T}.mcp.docs`, `unknown MCP preset "nope"; presets: ${presets} (or give {command, args, env} or {url, headers})`],
    ['true under a name that is no preset', { mcp: { docs: true } }, `${T}.mcp.docs`, `unknown MCP preset "docs"; presets: ${presets} (or give {command, args, env} or {url, headers})`],
    ['an unknown preset in {preset}', { mcp: { docs: { preset: 'nope' } } }, `${T}.mcp.docs.preset`, `unknown MCP preset; presets: ${presets}`],
    ['a file URL', { mcp: { docs: { url: 'file:///etc/passwd' } } }, `${T}.mcp.docs.url`, 'must be an http:// or https:// URL'],
    ['a URL that is no URL', { mcp: { docs: { url: 'localhost:3000' } } }, `${T}.mcp.docs.url`, 'must be an http:// or https:// URL'],
    ['a bad env name', { mcp: { fs: { command: 'npx', env: { 'bad-name': 'x' } } } }, `${T}.mcp.fs.env.bad-name`, 'invalid key "bad-name": env names must match ^[A-Z_][A-Z0-9_]*$'],
    ['a forbidden env name', { mcp: { fs: { command: 'npx', env: { LD_PRELOAD: '/x.so' } } } }, `${T}.mcp.fs.env.LD_PRELOAD`, expect.stringContaining('must not be one of LD_PRELOAD')],
    ['an empty command', { mcp: { fs: { command: '' } } }, `${T}.mcp.fs.command`, 'must not be empty'],
    ['a newline in an argument', { mcp: { fs: { command: 'npx', args: ['a\nb'] } } }, `${T}.mcp.fs.args[0]`, 'must not contain NUL, newline or other control characters'],
    ['an unknown field', { mcp: { fs: { command: 'npx', cwd: '/x' } } }, `${T}.mcp.fs`, 'unknown field(s): cwd'],
    ['neither preset, command nor url', { mcp: { fs: { args: ['x'] } } }, `${T}.mcp.fs`, expect.stringMatching(/^must be a preset name \(serena, .*\{url, headers\?\}$/)],
    ['a bad server name', { mcp: { 'a b': 'serena' } }, `${T}.mcp.a b`, 'invalid key "a b": MCP server names are letters, digits, "_" and "-" (max 64)'],
    ['a string', { mcp: 'serena' }, `${T}.mcp`, expect.stringMatching(/^must be a list of MCP preset names/)],
    ['a list of objects', { mcp: [{ url: 'http://x' }] }, `${T}.mcp`, expect.stringMatching(/^must be a list of MCP preset names/)],
    ['a header with a newline', { mcp: { docs: { url: 'https://x/mcp', headers: { 'X-Key': 'a\nb' } } } }, `${T}.mcp.docs.headers.X-Key`, 'must not contain control characters'],
    ['a server named shoal', { mcp: { shoal: { url: 'https://evil/mcp' } } }, `${T}.mcp.shoal`, expect.stringMatching(/^"shoal" is Shoal's own server/)],
  ])('%s', (_what, task, path, message) => {
    expect(issuesOf(validatePlanObject(plan(task)))).toContainEqual({ path, message });
  });

  it('checks a team field the same way', () => {
    expect(issuesOf(validatePlanObject(plan({}, { mcp: ['nope'] })))).toContainEqual({ path: 'teams[0].mcp.nope', message: expect.stringContaining('unknown MCP preset "nope"') });
  });
});

describe('plan field mcp: accepted forms and resolution', () => {
  const accepted = (task: Obj, team: Obj = {}) => {
    const r = validatePlanObject(plan(task, team));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return { task: r.value.phases[0].tasks[0], team: r.value.teams[0] };
  };

  it('a list of presets expands to pinned commands, serena with the agent context', () => {
    const { task, team } = accepted({ mcp: MCP_PRESETS });
    const mcp = resolveTaskMcp(team.mcp, task.mcp, task.agent)!;
    expect(mcp.shoal).toBe(true);
    expect(mcp.servers.map((s) => s.name)).toEqual([...MCP_PRESETS]);
    expect(mcp.servers[0]).toEqual({ name: 'serena', transport: 'stdio', command: 'uvx', args: ['--from', `serena-agent==${MCP_PRESET_VERSIONS.serena}`, 'serena', 'start-mcp-server', '--context', 'claude-code', '--project-from-cwd', '--enable-web-dashboard', 'false'], env: {} });
    expect(mcp.servers[1]).toEqual({ name: 'sequential-thinking', transport: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-sequential-thinking@2026.8.31'], env: {} });
    expect(mcp.servers[2].transport === 'stdio' && mcp.servers[2].args).toEqual(['-y', '@upstash/context7-mcp@4.1.1']);
    expect(mcp.servers[3].transport === 'stdio' && mcp.servers[3].args).toEqual(['-y', '@eslint/mcp@0.3.13']);
    const gemini = resolveTaskMcp(undefined, { serena: true }, 'gemini')!.servers[0];
    expect(gemini.transport === 'stdio' && gemini.args[5]).toBe('ide');
  });

  it("a task's map overrides and extends its team's; false drops a server, shoal: false drops Shoal's", () => {
    const { task, team } = accepted(
      { mcp: { docs: { url: 'https://docs.example/mcp', headers: { 'X-Key': 'k' } }, ctx: { preset: 'context7', env: { CONTEXT7_API_KEY: 'c7' } }, eslint: false, shoal: false } },
      { mcp: { eslint: true, docs: { command: 'old' }, fs: { command: 'npx', args: ['-y', 'fs-mcp'], env: { ROOT: '/srv' } } } },
    );
    const mcp = resolveTaskMcp(team.mcp, task.mcp, task.agent)!;
    expect(mcp).toEqual({
      shoal: false,
      servers: [
        { name: 'docs', transport: 'http', url: 'https://docs.example/mcp', headers: { 'X-Key': 'k' } },
        { name: 'fs', transport: 'stdio', command: 'npx', args: ['-y', 'fs-mcp'], env: { ROOT: '/srv' } },
        { name: 'ctx', transport: 'stdio', command: 'npx', args: ['-y', '@upstash/context7-mcp@4.1.1'], env: { CONTEXT7_API_KEY: 'c7' } },
      ],
    });
    expect(TaskSpec.shape.mcp.parse(mcp)).toEqual(mcp);
  });

  it('no mcp anywhere resolves to nothing, and mcp is not a field copied as it is', () => {
    expect(resolveTaskMcp(undefined, undefined, 'claude')).toBeUndefined();
    const { task } = accepted({ mcp: ['serena'] });
    expect(copiedSpecFields(task)).not.toHaveProperty('mcp');
  });
});

describe("Shoal's own server", () => {
  it.each([
    ['http://10.0.0.1:7000/cache', 'http://10.0.0.1:7000/mcp'],
    ['https://shoal.example/api/cache/', 'https://shoal.example/api/mcp'],
    ['http://h:1', 'http://h:1/mcp'],
  ])('%s -> %s, token by env name', (cache, url) => {
    expect(shoalMcpServer(cache)).toEqual({ name: 'shoal', transport: 'http', url, headers: {}, bearerTokenEnv: 'SHOAL_CACHE_TOKEN' });
  });
});
