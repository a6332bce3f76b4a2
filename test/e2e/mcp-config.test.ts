import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Disposables, tempDir, tmuxSocket } from '@shoal/testing';
import { type TestCluster, startCluster } from '../support/cluster.js';

/**
 * MCP servers for agents, end to end: a plan declares `mcp:` on a team and its tasks; the node-agent
 * writes each task's config in its agent preset's form before the start and removes it after.
 * The real CLIs are not in CI (scripts/agents-mcp-check.mjs checks them by hand): each task here
 * runs a stand-in under the claude, codex and opencode presets that reports the argv, the
 * environment and the config file it was given.
 */
const disposables = new Disposables();
let cluster: TestCluster;
let work: string;
let dataDir: string;

afterAll(() => disposables.disposeAll(), 120_000);

beforeAll(async () => {
  const dir = tempDir('shoal-mcp-config-');
  disposables.add(() => dir.dispose());
  work = dir.path;
  dataDir = join(work, 'node');
  cluster = await startCluster([{ nodeId: 'mcp-node', tmuxSocket: tmuxSocket().name, dataDir }], disposables);
}, 120_000);

interface Report {
  argv: string[];
  env: Record<string, string | undefined>;
  file?: string;
  mode?: number;
  dirMode?: number;
  content?: string;
}

describe('MCP config for agents', () => {
  it('claude gets --mcp-config=<0600 file> (a wrapper only SHOAL_MCP_CONFIG), opencode OPENCODE_CONFIG, codex -c pairs: team servers, task overrides and Shoal\'s own with the task token by reference; files removed after', async () => {
    const agent = join(work, 'stand-in.mjs');
    writeFileSync(
      agent,
      `#!${process.execPath}
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
const argv = process.argv.slice(2);
const file = argv.find((a) => a.startsWith('--mcp-config='))?.slice('--mcp-config='.length) ?? process.env.OPENCODE_CONFIG ?? process.env.SHOAL_MCP_CONFIG;
const report = { argv, env: { SHOAL_CACHE_TOKEN: process.env.SHOAL_CACHE_TOKEN, OPENCODE_CONFIG: process.env.OPENCODE_CONFIG, SHOAL_MCP_CONFIG: process.env.SHOAL_MCP_CONFIG } };
if (file) Object.assign(report, { file, mode: statSync(file).mode & 0o777, dirMode: statSync(dirname(file)).mode & 0o777, content: readFileSync(file, 'utf8') });
writeFileSync(process.env.REPORT_FILE, JSON.stringify(report));
`,
    );
    chmodSync(agent, 0o755);
    // flags go only to a command that starts the CLI itself: the stand-ins carry the CLIs' names
    mkdirSync(join(work, 'bin'));
    for (const name of ['claude', 'codex', 'opencode']) copyFileSync(agent, join(work, 'bin', name));
    for (const name of ['claude', 'codex', 'opencode']) chmodSync(join(work, 'bin', name), 0o755);
    const task = (id: string, preset: string, mcp: string, args = '', program = JSON.stringify(join(work, 'bin', preset))) =>
      `{ id: ${id}, team: dev, role: ${id}, agent: ${preset}, command: [${program}${args}], env: { REPORT_FILE: ${JSON.stringify(join(work, `${id}.json`))} }, resources: { memory: 256, cpu: 20 }${mcp} }`;
    const run = await cluster.submit(
      [
        'name: mcp-config',
        'teams: [{ name: dev, mcp: [sequential-thinking] }]',
        'phases:',
        '  - id: a',
        '    tasks:',
        `      - ${task('lead', 'claude', ', mcp: { docs: { url: "https://docs.example/mcp", headers: { X-Key: k1 } } }', ', --model, x')}`,
        `      - ${task('ui', 'opencode', ', mcp: { sequential-thinking: false }')}`,
        `      - ${task('api', 'codex', ', mcp: { lint: eslint }', ', exec, hi')}`,
        // a wrapper under the claude preset: no flag (node would take it), the file in SHOAL_MCP_CONFIG
        `      - ${task('wrap', 'claude', '', `, ${JSON.stringify(agent)}`, JSON.stringify(process.execPath))}`,
      ].join('\n'),
    );
    const done = await cluster.waitForRun(run.id, 60_000);
    const failed = done.tasks.filter((t) => t.state !== 'succeeded').map((t) => `${t.id} ${t.state}: ${t.reason ?? ''} | ${(t.outputTail ?? '').slice(-400)}`);
    expect(failed).toEqual([]);
    expect(done.tasks.map((t) => [t.id, t.state])).toEqual([
      ['lead', 'succeeded'],
      ['ui', 'succeeded'],
      ['api', 'succeeded'],
      ['wrap', 'succeeded'],
    ]);
    const report = (id: string) => JSON.parse(readFileSync(join(work, `${id}.json`), 'utf8')) as Report;
    const shoalUrl = `${cluster.api}/mcp`;

    const lead = report('lead');
    const token = lead.env.SHOAL_CACHE_TOKEN!;
    expect(token).toMatch(/^shc1\./);
    expect(lead.file).toBe(join(dataDir, 'mcp', `${run.id}.lead.1`, 'claude-mcp.json'));
    expect(lead.argv).toEqual([`--mcp-config=${lead.file}`, '--model', 'x']);
    expect([lead.mode, lead.dirMode]).toEqual([0o600, 0o700]);
    expect(lead.env.SHOAL_MCP_CONFIG).toBe(lead.file);
    expect(lead.content).not.toContain(token);
    expect(JSON.parse(lead.content!)).toEqual({
      mcpServers: {
        'sequential-thinking': { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-sequential-thinking@2026.8.31'], env: {} },
        docs: { type: 'http', url: 'https://docs.example/mcp', headers: { 'X-Key': 'k1' } },
        shoal: { type: 'http', url: shoalUrl, headers: { Authorization: 'Bearer ${SHOAL_CACHE_TOKEN}' } },
      },
    });

    const ui = report('ui');
    expect(ui.argv).toEqual([]);
    expect(ui.env.OPENCODE_CONFIG).toBe(join(dataDir, 'mcp', `${run.id}.ui.1`, 'opencode.json'));
    expect(ui.mode).toBe(0o600);
    expect(JSON.parse(ui.content!).mcp).toEqual({ shoal: { type: 'remote', url: shoalUrl, headers: { Authorization: 'Bearer {env:SHOAL_CACHE_TOKEN}' }, enabled: true } });
    expect(ui.env.SHOAL_CACHE_TOKEN).toMatch(/^shc1\./);

    const api = report('api');
    expect(api.file).toBeUndefined();
    expect(api.argv).toEqual([
      '-c', 'mcp_servers.sequential-thinking.command="npx"',
      '-c', 'mcp_servers.sequential-thinking.args=["-y", "@modelcontextprotocol/server-sequential-thinking@2026.8.31"]',
      '-c', 'mcp_servers.sequential-thinking.startup_timeout_sec=60',
      '-c', 'mcp_servers.lint.command="npx"',
      '-c', 'mcp_servers.lint.args=["-y", "@eslint/mcp@0.3.13"]',
      '-c', 'mcp_servers.lint.startup_timeout_sec=60',
      '-c', `mcp_servers.shoal.url="${shoalUrl}"`,
      '-c', 'mcp_servers.shoal.bearer_token_env_var="SHOAL_CACHE_TOKEN"',
      'exec', 'hi',
    ]);
    expect(api.argv.join(' ')).not.toContain(api.env.SHOAL_CACHE_TOKEN);

    const wrap = report('wrap');
    expect(wrap.argv).toEqual([]);
    expect(wrap.file).toBe(join(dataDir, 'mcp', `${run.id}.wrap.1`, 'claude-mcp.json'));
    expect(Object.keys(JSON.parse(wrap.content!).mcpServers)).toEqual(['sequential-thinking', 'shoal']);

    // each config went with its process
    for (const r of [lead, ui, wrap]) expect(existsSync(dirname(r.file!))).toBe(false);
    expect(readdirSync(join(dataDir, 'mcp'))).toEqual([]);
  });
});
