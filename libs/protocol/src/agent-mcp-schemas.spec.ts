import { McpField, McpHttpServer, McpStdioServer, SHOAL_TOKEN_ENV, shoalMcpServer } from './agent-mcp.js';

/**
 * The MCP schemas as a caller sees them (zod issues with their code, path and message): the
 * refusals the `mcp:` field raises itself are `custom` issues, header names are HTTP tokens of
 * 1 to 128 characters, a stdio server takes at most 256 arguments, and a resolved HTTP server's
 * `bearerTokenEnv` is a whole environment variable name. Every value is built inside the test
 * that checks it.
 */

type Obj = Record<string, any>;

const PRESETS = 'serena, sequential-thinking, context7, eslint';
const ENTRY_HELP = `a preset name (${PRESETS}), true, false, {preset, env?}, {command, args?, env?} or {url, headers?}`;
const UNKNOWN_TAIL = `presets: ${PRESETS} (or give {command, args, env} or {url, headers})`;

function issuesOf(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: Obj[] } } }, value: unknown): Obj[] {
  const r = schema.safeParse(value);
  if (r.success) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
  return r.error!.issues;
}

describe('McpField: the refusals it raises itself are custom issues', () => {
  it('an unknown preset as a value: code custom, on the server name, naming the presets', () => {
    const issues = issuesOf(McpField, { docs: 'nope' });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toEqual({ code: 'custom', path: ['docs'], message: `unknown MCP preset "nope"; ${UNKNOWN_TAIL}` });
  });

  it('an entry that is a number: code custom, on the server name, with the forms an entry may take', () => {
    const issues = issuesOf(McpField, { docs: 5 });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toEqual({ code: 'custom', path: ['docs'], message: `must be ${ENTRY_HELP}` });
  });

  it('an object with neither preset, url nor command: code custom, on the server name', () => {
    const issues = issuesOf(McpField, { docs: { args: ['x'] } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toEqual({ code: 'custom', path: ['docs'], message: `must be ${ENTRY_HELP}` });
  });

  it('33 servers: code custom on the field itself ("at most 32 MCP servers")', () => {
    const mcp = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`s${i}`, { command: 'npx' }]));
    const issues = issuesOf(McpField, mcp);
    expect(issues).toEqual([{ code: 'custom', path: [], message: 'at most 32 MCP servers' }]);
  });

  it('true under a name that is no preset: code custom, on that name', () => {
    const issues = issuesOf(McpField, { docs: true });
    expect(issues).toEqual([{ code: 'custom', path: ['docs'], message: `unknown MCP preset "docs"; ${UNKNOWN_TAIL}` }]);
  });

  it('a server named shoal other than false: code custom, on shoal', () => {
    const issues = issuesOf(McpField, { shoal: true });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'custom', path: ['shoal'] });
    expect(issues[0]!.message).toContain('only shoal: false (leave it out) may be written');
  });
});

describe('McpField: header names', () => {
  const url = 'https://docs.example/mcp';

  it('takes a name of exactly 128 token characters and decodes the whole server as written', () => {
    const name = 'X'.repeat(128);
    const r = McpField.safeParse({ docs: { url, headers: { [name]: 'v', "a!#$%&'*+.^_`|~-9": 'w' } } });
    expect(r.success).toBe(true);
    expect(r.data).toEqual({ docs: { url, headers: { [name]: 'v', "a!#$%&'*+.^_`|~-9": 'w' } } });
  });

  it('refuses a name of 129 characters with the HTTP-token message on that header', () => {
    const name = 'X'.repeat(129);
    const issues = issuesOf(McpField, { docs: { url, headers: { [name]: 'v' } } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'invalid_key', path: ['docs', 'headers', name] });
    expect(issues[0]!.issues.map((i: Obj) => i.message)).toEqual(['header names are HTTP tokens (letters, digits, "-")']);
  });

  it.each([
    ['a character before a valid name', '(X-Key'],
    ['a character after a valid name', 'X-Key)'],
    ['a space inside', 'X Key'],
    ['a colon at the end', 'X-Key:'],
    ['an empty name', ''],
  ])('refuses %s (%j) with the HTTP-token message', (_what, name) => {
    const issues = issuesOf(McpField, { docs: { url, headers: { [name]: 'v' } } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'invalid_key', path: ['docs', 'headers', name] });
    expect(issues[0]!.issues[0].message).toBe('header names are HTTP tokens (letters, digits, "-")');
  });
});

describe('McpField: arguments of a stdio server', () => {
  it('takes exactly 256 arguments', () => {
    const args = Array.from({ length: 256 }, (_, i) => `a${i}`);
    const r = McpField.safeParse({ fs: { command: 'npx', args } });
    expect(r.success).toBe(true);
    expect(r.data).toEqual({ fs: { command: 'npx', args } });
  });

  it('refuses 257 arguments with "must have at most 256 arguments" on args', () => {
    const args = Array.from({ length: 257 }, (_, i) => `a${i}`);
    const issues = issuesOf(McpField, { fs: { command: 'npx', args } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'too_big', maximum: 256, path: ['fs', 'args'], message: 'must have at most 256 arguments' });
  });
});

describe('McpHttpServer: bearerTokenEnv is a whole environment variable name', () => {
  function server(bearerTokenEnv: string): Obj {
    return { name: 'shoal', transport: 'http', url: 'https://coord.example/mcp', headers: { 'X-A': 'b' }, bearerTokenEnv };
  }

  it('decodes a full server naming SHOAL_CACHE_TOKEN exactly as written', () => {
    expect(McpHttpServer.parse(server('SHOAL_CACHE_TOKEN'))).toEqual({
      name: 'shoal',
      transport: 'http',
      url: 'https://coord.example/mcp',
      headers: { 'X-A': 'b' },
      bearerTokenEnv: 'SHOAL_CACHE_TOKEN',
    });
  });

  it("takes Shoal's own server as shoalMcpServer builds it", () => {
    const built = shoalMcpServer('https://coord.example/cache');
    expect(McpHttpServer.parse(built)).toEqual({ name: 'shoal', transport: 'http', url: 'https://coord.example/mcp', headers: {}, bearerTokenEnv: SHOAL_TOKEN_ENV });
  });

  it.each(['_', 'A', '_X9', 'TOKEN_2', 'AB'])('takes %s', (name) => {
    expect(McpHttpServer.parse(server(name)).bearerTokenEnv).toBe(name);
  });

  it.each([
    ['a leading digit', '1ABC'],
    ['a leading dash', '-ABC'],
    ['a trailing dash', 'ABC-'],
    ['a dash inside', 'A-B'],
    ['lower case', 'abc'],
    ['lower case after the first letter', 'Abc'],
    ['a space inside', 'A B'],
    ['an empty name', ''],
  ])('refuses %s (%j) on bearerTokenEnv', (_what, name) => {
    const issues = issuesOf(McpHttpServer, server(name));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'invalid_format', format: 'regex', path: ['bearerTokenEnv'] });
  });
});

describe('McpStdioServer: a full value', () => {
  it('decodes a resolved stdio server exactly as written', () => {
    const value = { name: 'fs', transport: 'stdio', command: 'npx', args: ['-y', 'x@1'], env: { A: 'b' } };
    expect(McpStdioServer.parse(value)).toEqual({ name: 'fs', transport: 'stdio', command: 'npx', args: ['-y', 'x@1'], env: { A: 'b' } });
  });
});
