import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TaskDispatched, resolveTaskMcp } from '@shoal/protocol';
import { McpConfigWriter } from './mcp-config-writer.js';

const cache = { url: 'http://127.0.0.1:7000/cache', token: 'shc1.secret-token' };
const task = (over: Partial<TaskDispatched>): TaskDispatched =>
  ({ runId: 'r-1', taskId: 'lead', attempt: 2, command: ['claude', '--model', 'x'], agent: 'claude', cache, ...over }) as TaskDispatched;

describe('McpConfigWriter', () => {
  let dataDir: string;
  let warnings: string[];
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'shoal-mcp-writer-'));
    warnings = [];
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));
  const writer = (selfUid?: number) => new McpConfigWriter(dataDir, (m) => warnings.push(m), selfUid ?? process.getuid!());

  it('claude: writes <data>/mcp/<attempt>/claude-mcp.json (0600 in a 0700 dir, no token), puts the flag after the program, removes it', async () => {
    const w = writer();
    const mcp = resolveTaskMcp(undefined, { 'sequential-thinking': true }, 'claude');
    const prepared = (await w.prepare(task({ mcp })))!;
    const file = join(dataDir, 'mcp', 'r-1.lead.2', 'claude-mcp.json');
    expect(prepared).toEqual({ command: ['claude', `--mcp-config=${file}`, '--model', 'x'], env: { SHOAL_MCP_CONFIG: file }, file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'mcp', 'r-1.lead.2')).mode & 0o777).toBe(0o700);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(cache.token);
    expect(Object.keys(JSON.parse(text).mcpServers)).toEqual(['sequential-thinking', 'shoal']);
    w.removeNow(task({}));
    expect(existsSync(join(dataDir, 'mcp', 'r-1.lead.2'))).toBe(false);
  });

  it('adds no flag to a wrapper (sh -c, node script): the file is in SHOAL_MCP_CONFIG, and the log says so', async () => {
    const w = writer();
    const prepared = (await w.prepare(task({ command: ['/bin/sh', '-c', 'exec claude'] })))!;
    expect(prepared.command).toEqual(['/bin/sh', '-c', 'exec claude']);
    expect(prepared.env).toEqual({ SHOAL_MCP_CONFIG: prepared.file });
    expect(warnings).toEqual([`r-1.lead.2: its command starts /bin/sh, not claude: MCP servers not passed as arguments (the config is in $SHOAL_MCP_CONFIG)`]);
    const viaPath = (await w.prepare(task({ command: ['/opt/bin/claude'] })))!;
    expect(viaPath.command).toEqual(['/opt/bin/claude', `--mcp-config=${viaPath.file}`]);
    const codex = (await w.prepare(task({ agent: 'codex', command: ['node', 'codex.js'] })))!;
    expect(codex.command).toEqual(['node', 'codex.js']);
  });

  it('clears what an earlier node-agent left', async () => {
    const w = writer();
    const { file } = (await w.prepare(task({})))!;
    w.clearLeftovers();
    expect(existsSync(file!)).toBe(false);
    await expect(w.prepare(task({}))).resolves.toBeDefined();
  });

  it('writes again over a previous start of the same attempt (a restart)', async () => {
    const w = writer();
    await w.prepare(task({}));
    await expect(w.prepare(task({}))).resolves.toBeDefined();
  });

  it('chowns dir and file to the agent uid under SHOAL_RUN_AS', async () => {
    const w = writer();
    const owner = { uid: process.getuid!(), gid: process.getgid!() };
    const { file } = (await w.prepare(task({ agent: 'opencode', command: ['opencode'] }), owner))!;
    expect(statSync(file!).uid).toBe(owner.uid);
  });

  it('codex: nothing written, the servers go as -c pairs after the program', async () => {
    const prepared = (await writer().prepare(task({ agent: 'codex', command: ['codex', 'exec', 'hi'] })))!;
    expect(prepared.file).toBeUndefined();
    expect(prepared.command).toEqual(['codex', '-c', 'mcp_servers.shoal.url="http://127.0.0.1:7000/mcp"', '-c', 'mcp_servers.shoal.bearer_token_env_var="SHOAL_CACHE_TOKEN"', 'exec', 'hi']);
    expect(existsSync(join(dataDir, 'mcp'))).toBe(false);
  });

  it('nothing for a task without servers, for a preset that takes none, or without a preset', async () => {
    const w = writer();
    expect(await w.prepare(task({ cache: undefined }))).toBeUndefined();
    expect(await w.prepare(task({ mcp: { servers: [], shoal: false } }))).toBeUndefined();
    expect(await w.prepare(task({ agent: 'shell' }))).toBeUndefined();
    expect(await w.prepare(task({ agent: 'aider' }))).toBeUndefined();
    expect(await w.prepare(task({ agent: undefined }))).toBeUndefined();
  });

  it('gemini: warns when it will skip the file (node-agent not root; a directory above writable by others)', async () => {
    await writer(1000).prepare(task({ agent: 'gemini', command: ['gemini'] }));
    expect(warnings).toEqual([expect.stringMatching(/reads .*gemini-system-defaults\.json only when root owns it, and this node-agent runs as uid 1000/)]);
    warnings = [];
    const prepared = (await writer(0).prepare(task({ agent: 'gemini', command: ['gemini'] })))!;
    expect(prepared.env).toEqual({ GEMINI_CLI_SYSTEM_DEFAULTS_PATH: prepared.file, GEMINI_CLI_TRUST_WORKSPACE: 'true', SHOAL_MCP_CONFIG: prepared.file });
    // the temp dir lives under /tmp (1777) or a directory root does not own: gemini would skip it
    expect(warnings).toEqual([expect.stringMatching(/(writable by group or others|owned by uid \d+), so gemini will skip/)]);
  });
});
