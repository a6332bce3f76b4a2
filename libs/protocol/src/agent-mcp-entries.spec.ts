import { MCP_PRESET_VERSIONS, mcpPresetCommand, resolveTaskMcp, shoalMcpServer } from './agent-mcp.js';
import { validatePlanObject } from './plan-loader.js';

/**
 * How the entries of `mcp:` resolve to the servers a task carries: a preset named as a value,
 * a command without arguments, `false` on a server that is not Shoal's, the preset commands
 * without an agent, and Shoal's own server from cache URLs with several trailing slashes.
 * Every value is built inside the test that checks it.
 */

type Obj = Record<string, any>;

function acceptedTaskMcp(mcp: unknown): Obj {
  const plan = {
    name: 'demo',
    teams: [{ name: 'fe' }],
    phases: [{ id: 'one', tasks: [{ id: 'lead', team: 'fe', role: 'Lead', command: ['claude'], agent: 'claude', mcp }] }],
  };
  const r = validatePlanObject(plan);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.phases[0]!.tasks[0]!.mcp as Obj;
}

describe('mcp entries: a preset named as the value of another name', () => {
  it('is accepted and resolves to the preset command under the chosen name', () => {
    const mcp = acceptedTaskMcp({ code: 'serena', think: 'sequential-thinking' });
    expect(mcp).toEqual({ code: 'serena', think: 'sequential-thinking' });
    expect(resolveTaskMcp(undefined, mcp, 'codex')).toEqual({
      shoal: true,
      servers: [
        { name: 'code', transport: 'stdio', command: 'uvx', args: ['--from', 'serena-agent==1.5.5', 'serena', 'start-mcp-server', '--context', 'codex', '--project-from-cwd', '--enable-web-dashboard', 'false'], env: {} },
        { name: 'think', transport: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-sequential-thinking@2026.8.31'], env: {} },
      ],
    });
  });
});

describe('mcp entries: a command of its own', () => {
  it('without args resolves to an empty argument list', () => {
    const mcp = acceptedTaskMcp({ fs: { command: 'fs-mcp' } });
    expect(resolveTaskMcp(undefined, mcp)).toEqual({ shoal: true, servers: [{ name: 'fs', transport: 'stdio', command: 'fs-mcp', args: [], env: {} }] });
  });
});

describe("mcp entries: false, and Shoal's own server", () => {
  it("false on another server drops only that server and keeps Shoal's", () => {
    expect(resolveTaskMcp({ eslint: true, fs: { command: 'fs-mcp' } }, { eslint: false }, 'claude')).toEqual({
      shoal: true,
      servers: [{ name: 'fs', transport: 'stdio', command: 'fs-mcp', args: [], env: {} }],
    });
  });

  it("shoal: false alone leaves out Shoal's server and adds none", () => {
    expect(resolveTaskMcp(undefined, { shoal: false })).toEqual({ shoal: false, servers: [] });
  });
});

describe('mcp presets: the pinned commands', () => {
  it('runs the npm presets with npx -y at their pinned versions', () => {
    expect(mcpPresetCommand('eslint')).toEqual({ command: 'npx', args: ['-y', `@eslint/mcp@${MCP_PRESET_VERSIONS.eslint}`] });
    expect(mcpPresetCommand('context7')).toEqual({ command: 'npx', args: ['-y', `@upstash/context7-mcp@${MCP_PRESET_VERSIONS.context7}`] });
    expect(mcpPresetCommand('sequential-thinking', 'claude')).toEqual({
      command: 'npx',
      args: ['-y', `@modelcontextprotocol/server-sequential-thinking@${MCP_PRESET_VERSIONS['sequential-thinking']}`],
    });
  });

  it('gives serena the ide context when no agent is named, and for an agent it has no context for', () => {
    for (const agent of [undefined, '', 'aider']) expect(mcpPresetCommand('serena', agent).args.slice(4, 6)).toEqual(['--context', 'ide']);
    expect(mcpPresetCommand('serena', 'opencode').args.slice(4, 6)).toEqual(['--context', 'opencode']);
  });
});

describe("Shoal's own server: cache URLs with trailing slashes", () => {
  it.each([
    ['https://shoal.example/cache//', 'https://shoal.example/mcp'],
    ['http://10.0.0.1:7000/cache///', 'http://10.0.0.1:7000/mcp'],
    ['http://h:1//', 'http://h:1/mcp'],
  ])('%s -> %s', (cache, url) => {
    expect(shoalMcpServer(cache).url).toBe(url);
  });
});
