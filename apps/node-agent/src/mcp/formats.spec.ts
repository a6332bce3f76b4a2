import { type McpServer, resolveTaskMcp, shoalMcpServer } from '@shoal/protocol';
import { PRESETS } from '../presets/index.js';
import { renderClaude, renderCodexOverrides, renderCodexToml, renderGeminiSettings, renderOpencode, renderQwenSettings } from './formats.js';
import { attemptMcpServers, commandWithMcp, mcpLaunch } from './launch.js';
import { readTomlAssignment, readTomlDocument } from './toml-check.js';
import { tomlString, tomlValue } from './toml.js';

const tricky = 'a "quoted" \\ back\\slash\ttab\nnewline \u0001\u007f é ☃ $HOME ${X}';
const stdio: McpServer = { name: 'fs', transport: 'stdio', command: 'npx', args: ['-y', 'fs-mcp@1.0.0', tricky], env: { ROOT: '/srv', ODD: tricky } };
const http: McpServer = { name: 'docs', transport: 'http', url: 'https://docs.example/mcp', headers: { 'X-Key': 'k"1' } };
const shoal = shoalMcpServer('http://127.0.0.1:7000/cache');
const servers = [stdio, http, shoal];

describe('TOML values', () => {
  it.each([tricky, '', 'plain', '\u0000\u001f', '"""', "'", '\\u0041'])('a string reads back as written: %j', (s) => {
    expect(readTomlAssignment(`k=${tomlString(s)}`).value).toBe(s);
  });

  it('arrays, inline tables, numbers and booleans read back', () => {
    expect(readTomlAssignment(`k=${tomlValue(['a', tricky, ''])}`).value).toEqual(['a', tricky, '']);
    expect(readTomlAssignment(`k=${tomlValue({ A: tricky, 'odd key': 'x' })}`).value).toEqual({ A: tricky, 'odd key': 'x' });
    expect(readTomlAssignment(`k=${tomlValue({})}`).value).toEqual({});
    expect(readTomlAssignment(`k=${tomlValue(20)}`).value).toBe(20);
    expect(readTomlAssignment(`k=${tomlValue(false)}`).value).toBe(false);
  });

  it('the checker refuses what TOML refuses', () => {
    expect(() => readTomlAssignment('k="a\nb"')).toThrow(/control character/);
    expect(() => readTomlAssignment('k="a\\q"')).toThrow(/bad escape/);
    expect(() => readTomlAssignment('k="a" x')).toThrow(/trailing/);
    expect(() => readTomlAssignment('k={ a = "1", a = "2" }')).toThrow(/duplicate/);
  });
});

describe('Codex', () => {
  it('-c overrides: pairs of "-c" and key=TOML that read back to the servers; the token only by name', () => {
    const argv = renderCodexOverrides(servers);
    expect(argv.filter((_, i) => i % 2 === 0).every((a) => a === '-c')).toBe(true);
    const read = Object.fromEntries(argv.filter((_, i) => i % 2 === 1).map((a) => {
      const { key, value } = readTomlAssignment(a);
      return [key.join('.'), value];
    }));
    expect(read).toEqual({
      'mcp_servers.fs.command': 'npx',
      'mcp_servers.fs.args': ['-y', 'fs-mcp@1.0.0', tricky],
      'mcp_servers.fs.env': { ROOT: '/srv', ODD: tricky },
      'mcp_servers.fs.startup_timeout_sec': 60,
      'mcp_servers.docs.url': 'https://docs.example/mcp',
      'mcp_servers.docs.http_headers': { 'X-Key': 'k"1' },
      'mcp_servers.shoal.url': 'http://127.0.0.1:7000/mcp',
      'mcp_servers.shoal.bearer_token_env_var': 'SHOAL_CACHE_TOKEN',
    });
  });

  it('config.toml: one [mcp_servers.<name>] table per server', () => {
    expect(readTomlDocument(renderCodexToml(servers))).toEqual({
      mcp_servers: {
        fs: { command: 'npx', args: ['-y', 'fs-mcp@1.0.0', tricky], env: { ROOT: '/srv', ODD: tricky }, startup_timeout_sec: 60 },
        docs: { url: 'https://docs.example/mcp', http_headers: { 'X-Key': 'k"1' } },
        shoal: { url: 'http://127.0.0.1:7000/mcp', bearer_token_env_var: 'SHOAL_CACHE_TOKEN' },
      },
    });
  });
});

describe('JSON formats', () => {
  it('Claude Code: type stdio/http, the token as ${SHOAL_CACHE_TOKEN}', () => {
    expect(JSON.parse(renderClaude(servers))).toEqual({
      mcpServers: {
        fs: { type: 'stdio', command: 'npx', args: ['-y', 'fs-mcp@1.0.0', tricky], env: { ROOT: '/srv', ODD: tricky } },
        docs: { type: 'http', url: 'https://docs.example/mcp', headers: { 'X-Key': 'k"1' } },
        shoal: { type: 'http', url: 'http://127.0.0.1:7000/mcp', headers: { Authorization: 'Bearer ${SHOAL_CACHE_TOKEN}' } },
      },
    });
  });

  it('Gemini and Qwen: httpUrl for streamable HTTP; Qwen with its settings $version', () => {
    const expected = {
      fs: { command: 'npx', args: ['-y', 'fs-mcp@1.0.0', tricky], env: { ROOT: '/srv', ODD: tricky } },
      docs: { httpUrl: 'https://docs.example/mcp', headers: { 'X-Key': 'k"1' } },
      shoal: { httpUrl: 'http://127.0.0.1:7000/mcp', headers: { Authorization: 'Bearer ${SHOAL_CACHE_TOKEN}' } },
    };
    expect(JSON.parse(renderGeminiSettings(servers))).toEqual({ mcpServers: expected });
    expect(JSON.parse(renderQwenSettings(servers))).toEqual({ $version: 4, mcpServers: expected });
  });

  it('opencode: local with the command as an array, remote with {env:SHOAL_CACHE_TOKEN}', () => {
    expect(JSON.parse(renderOpencode(servers))).toEqual({
      $schema: 'https://opencode.ai/config.json',
      mcp: {
        fs: { type: 'local', command: ['npx', '-y', 'fs-mcp@1.0.0', tricky], environment: { ROOT: '/srv', ODD: tricky }, enabled: true },
        docs: { type: 'remote', url: 'https://docs.example/mcp', headers: { 'X-Key': 'k"1' }, enabled: true },
        shoal: { type: 'remote', url: 'http://127.0.0.1:7000/mcp', headers: { Authorization: 'Bearer {env:SHOAL_CACHE_TOKEN}' }, enabled: true },
      },
    });
  });
});

describe('delivery per preset', () => {
  const dir = '/data/mcp/r.t.1';

  it('claude: one argv element --mcp-config=<file> after the program, nothing in the env', () => {
    const l = mcpLaunch(PRESETS.claude.mcp!, servers, dir);
    expect(l.argv).toEqual([`--mcp-config=${dir}/claude-mcp.json`]);
    expect(l.env).toEqual({});
    expect(l.file).toEqual({ path: `${dir}/claude-mcp.json`, content: renderClaude(servers), mode: 0o600 });
    expect(commandWithMcp(['claude', '--model', 'x', 'do it'], l.argv)).toEqual(['claude', `--mcp-config=${dir}/claude-mcp.json`, '--model', 'x', 'do it']);
  });

  it('codex: only argv (-c pairs), no file', () => {
    const l = mcpLaunch(PRESETS.codex.mcp!, servers, dir);
    expect(l).toEqual({ file: undefined, argv: renderCodexOverrides(servers), env: {} });
  });

  it.each([
    ['gemini', 'gemini-system-defaults.json', { GEMINI_CLI_SYSTEM_DEFAULTS_PATH: `${dir}/gemini-system-defaults.json`, GEMINI_CLI_TRUST_WORKSPACE: 'true' }],
    ['qwen', 'qwen-system-defaults.json', { QWEN_CODE_SYSTEM_DEFAULTS_PATH: `${dir}/qwen-system-defaults.json` }],
    ['opencode', 'opencode.json', { OPENCODE_CONFIG: `${dir}/opencode.json` }],
  ] as const)('%s: a file named by the environment, argv untouched', (name, file, env) => {
    const l = mcpLaunch(PRESETS[name].mcp!, servers, dir);
    expect(l.argv).toEqual([]);
    expect(l.env).toEqual(env);
    expect(l.file?.path).toBe(`${dir}/${file}`);
  });

  it('aider and shell take no MCP servers', () => {
    expect(PRESETS.aider.mcp).toBeUndefined();
    expect(PRESETS.shell.mcp).toBeUndefined();
  });

  it("an attempt's servers: the plan's, then Shoal's with a cache grant unless left out", () => {
    const mcp = resolveTaskMcp(undefined, { 'sequential-thinking': true }, 'claude')!;
    const cache = { url: 'http://c:1/cache', token: 'shc1.x' };
    expect(attemptMcpServers({ mcp, cache }).map((s) => s.name)).toEqual(['sequential-thinking', 'shoal']);
    expect(attemptMcpServers({ cache }).map((s) => s.name)).toEqual(['shoal']);
    expect(attemptMcpServers({ mcp: { ...mcp, shoal: false }, cache }).map((s) => s.name)).toEqual(['sequential-thinking']);
    expect(attemptMcpServers({ mcp })).toEqual(mcp.servers);
    expect(attemptMcpServers({})).toEqual([]);
  });
});
