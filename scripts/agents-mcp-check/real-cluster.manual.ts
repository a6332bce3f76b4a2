/**
 * Manual check, not in CI: a one-node Shoal cluster runs the real agent CLIs as tasks with `mcp:`
 * declared; each reaches the coordinator's own /mcp with its task token through the config the
 * node-agent wrote (claude and codex started directly, so their flags are inserted; gemini, qwen,
 * opencode through `sh -c`, their config by environment). Offline and with root-owned temp dirs:
 *
 *   npx tsc -b tsconfig.build.json
 *   mkdir -p /root/mcp-check-tmp && TMPDIR=/root/mcp-check-tmp unshare -n sh -c 'ip link set lo up && exec "$@"' _ \
 *     node --experimental-vm-modules node_modules/jest/bin/jest.js -c scripts/agents-mcp-check/jest.config.mjs
 *
 * CLIs: <dir>/<name>/node_modules/.bin/<name> with dir $SHOAL_AGENT_CLIS, ~/.cache/shoal/agent-clis
 * or /root/agent-clis. What each printed goes to $SHOAL_MCP_CHECK_OUT (default
 * ~/.cache/shoal/mcp-check/real-cluster.json).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Disposables, tempDir, tmuxSocket } from '@shoal/testing';
import { type TestCluster, startCluster } from '../../test/support/cluster.js';

const OUT = process.env.SHOAL_MCP_CHECK_OUT ?? join(homedir(), '.cache/shoal/mcp-check/real-cluster.json');
const disposables = new Disposables();
let cluster: TestCluster;
let work: string;
let dataDir: string;
afterAll(() => disposables.disposeAll(), 120_000);
beforeAll(async () => {
  const dir = tempDir('shoal-mcp-real-');
  disposables.add(() => dir.dispose());
  work = dir.path;
  dataDir = join(work, 'node');
  cluster = await startCluster([{ nodeId: 'real-node', tmuxSocket: tmuxSocket().name, dataDir }], disposables);
}, 120_000);

function binDir(name: string): string {
  const dirs = [process.env.SHOAL_AGENT_CLIS, join(homedir(), '.cache/shoal/agent-clis'), '/root/agent-clis'].filter((d): d is string => !!d);
  const found = dirs.map((d) => join(d, name, 'node_modules', '.bin')).find((d) => existsSync(join(d, name)));
  if (!found) throw new Error(`${name} not installed in ${dirs.join(', ')}`);
  return found;
}

it('real CLIs started by Shoal reach the coordinator /mcp with their task token; the configs are gone after', async () => {
  const report = (id: string) => join(work, `${id}.txt`);
  const env = (id: string) => {
    const home = join(work, `home-${id}`);
    mkdirSync(home, { recursive: true });
    if (id === 'claude') writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));
    const vars = { HOME: home, PATH: `${binDir(id)}:${dirname(process.execPath)}:/usr/bin:/bin`, ANTHROPIC_API_KEY: 'sk-ant-fake-0000', OPENAI_API_KEY: 'sk-fake-0000', GEMINI_API_KEY: 'fake-gemini-0000', REPORT_FILE: report(id) };
    return `env: ${JSON.stringify(vars)}, resources: { memory: 768, cpu: 50 }, on_memory_exceeded: notify`;
  };
  const viaShell = (id: string) => `{ id: ${id}, team: dev, role: ${id}, agent: ${id}, command: [sh, -c, '${id} mcp list > "$REPORT_FILE" 2>&1'], ${env(id)} }`;
  const run = await cluster.submit(
    [
      'name: mcp-real',
      'teams: [{ name: dev, mcp: { docs: { url: "http://127.0.0.1:9/docs" } } }]',
      'phases:',
      '  - id: a',
      '    tasks:',
      ...['qwen', 'gemini', 'opencode'].map((id) => `      - ${viaShell(id)}`),
      // claude -p retries the API offline: its debug log is read once the timeout stopped it
      `      - { id: claude, team: dev, role: claude, agent: claude, command: [${JSON.stringify(join(binDir('claude'), 'claude'))}, --debug-file, ${JSON.stringify(report('claude'))}, -p, hi], timeout: 40s, ${env('claude')} }`,
      `      - { id: codex, team: dev, role: codex, agent: codex, command: [${JSON.stringify(join(binDir('codex'), 'codex'))}, mcp, list, --json], ${env('codex')} }`,
    ].join('\n'),
  );
  const done = await cluster.waitForRun(run.id, 240_000);
  const text = (id: string) => (existsSync(report(id)) ? readFileSync(report(id), 'utf8').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '') : '');
  const claude = text('claude').split('\n').filter((l) => /MCP server "shoal"|mcp-config/.test(l)).join('\n');
  const codex = (await (await cluster.fetch(`${cluster.api}/runs/${run.id}`)).json()) as { tasks: { id: string; outputTail?: string }[] };
  const out = { api: cluster.api, tasks: done.tasks.map((t) => [t.id, t.state]), qwen: text('qwen'), gemini: text('gemini'), opencode: text('opencode'), claude, codex: codex.tasks.find((t) => t.id === 'codex')?.outputTail, mcpDirAfter: readdirSync(join(dataDir, 'mcp')) };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(out, null, 2));

  for (const id of ['qwen', 'gemini', 'opencode']) expect(text(id)).toMatch(new RegExp(`✓ shoal[^\\n]*${cluster.api.replace(/[.:/]/g, '\\$&')}/mcp[^\\n]*|✓ shoal[^\\n]*connected`, 'i'));
  expect(claude).toContain('MCP server "shoal": Successfully connected');
  expect(out.codex).toContain('"bearer_token_env_var": "SHOAL_CACHE_TOKEN"');
  expect(done.tasks.filter((t) => t.id !== 'claude').map((t) => t.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  expect(out.mcpDirAfter).toEqual([]);
});
