#!/usr/bin/env node
/**
 * Checks the MCP config the node-agent writes against the real agent CLIs (not in CI: they are
 * large and live outside the repo). For each CLI found, writes its config with the node-agent's
 * own code (apps/node-agent/dist/mcp: `mcpLaunch`, the preset's delivery), then asks the CLI to
 * list (and, where it does, connect to) the servers, offline:
 *
 *   - inside `unshare -n` with only `lo` up (needs root), a scratch HOME, fake API keys, no caller env;
 *   - servers: a stdio MCP server (node + the SDK), Shoal's own entry pointing at a local streamable
 *     HTTP MCP server that answers only `Authorization: Bearer <SHOAL_CACHE_TOKEN>`, an HTTP server
 *     with a literal header, and the `sequential-thinking` preset (npx: cannot install offline).
 *
 * Usage: npm run build (or tsc -b apps/node-agent), then
 *   node scripts/agents-mcp-check.mjs [claude codex gemini qwen opencode]
 * CLIs are looked for in $SHOAL_AGENT_CLIS, ~/.cache/shoal/agent-clis and /root/agent-clis
 * (<dir>/<name>/node_modules/.bin/<name>, the pinned version of scripts/agents-capture/versions.mjs).
 * Prints each command and what it printed, then a summary; exits 1 when a CLI did not see a server.
 * The results of a run are recorded in apps/node-agent/src/mcp/VERIFIED.md.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AGENT_CLIS, findInstalledCli } from './agents-capture/versions.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'shc1.fake-mcp-check-token';
const WORK = process.env.SHOAL_MCP_CHECK_WORK ?? join(homedir(), '.cache/shoal/mcp-check');
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(AGENT_CLIS);

if (!process.env.SHOAL_MCP_CHECK_INNER) {
  // everything (servers and CLIs) runs in one private network namespace: loopback only
  try {
    execFileSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', '_', process.execPath, fileURLToPath(import.meta.url), ...names], {
      stdio: 'inherit',
      env: { ...process.env, SHOAL_MCP_CHECK_INNER: '1' },
    });
  } catch (e) {
    process.exit(e.status ?? 1);
  }
  process.exit(0);
}

const { mcpLaunch, renderCodexToml } = await import(pathToFileURL(join(ROOT, 'apps/node-agent/dist/mcp/index.js')).href);
const { PRESETS } = await import(pathToFileURL(join(ROOT, 'apps/node-agent/dist/presets/index.js')).href);
const { resolveTaskMcp, shoalMcpServer } = await import('@shoal/protocol');
const sdk = (p) => import.meta.resolve(`@modelcontextprotocol/sdk/${p}`);
const { McpServer } = await import(sdk('server/mcp.js'));
const { StreamableHTTPServerTransport } = await import(sdk('server/streamableHttp.js'));

/** A streamable-HTTP MCP server with one tool that answers only the right bearer token; counts what it saw. */
async function httpMcp() {
  const seen = { authorized: 0, docs: 0, refused: 0 };
  const server = createServer(async (req, res) => {
    // /mcp: Shoal's entry, the task token; /docs: the plan's server, its literal header
    const ok = req.url?.startsWith('/docs') ? req.headers['x-docs-key'] === 'literal' : req.headers.authorization === `Bearer ${TOKEN}`;
    if (!ok) {
      seen.refused += 1;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    if (req.url?.startsWith('/docs')) seen.docs += 1;
    else seen.authorized += 1;
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const mcp = new McpServer({ name: 'shoal-check', version: '1.0.0' });
    mcp.registerTool('ping', { description: 'answers pong' }, async () => ({ content: [{ type: 'text', text: 'pong' }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void transport.close());
    await mcp.connect(transport);
    let body = '';
    for await (const chunk of req) body += chunk;
    await transport.handleRequest(req, res, body ? JSON.parse(body) : undefined);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, port: server.address().port };
}

function stdioServerScript(dir) {
  const file = join(dir, 'stdio-mcp.mjs');
  writeFileSync(
    file,
    `import { McpServer } from ${JSON.stringify(sdk('server/mcp.js'))};
import { StdioServerTransport } from ${JSON.stringify(sdk('server/stdio.js'))};
const mcp = new McpServer({ name: 'echo', version: '1.0.0' });
mcp.registerTool('echo', { description: 'echoes' }, async () => ({ content: [{ type: 'text', text: process.env.ECHO_WORD ?? '' }] }));
await mcp.connect(new StdioServerTransport());
`,
  );
  return file;
}

function run(bin, args, env, cwd, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out: out.replace(/\u001b\[[0-9;]*m/g, '') });
    });
  });
}

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true, mode: 0o755 });
const stdioFile = stdioServerScript(WORK);
const http = await httpMcp();
const plan = {
  'sequential-thinking': true,
  echo: { command: process.execPath, args: [stdioFile], env: { ECHO_WORD: 'hello' } },
  docs: { url: `http://127.0.0.1:${http.port}/docs`, headers: { 'X-Docs-Key': 'literal' } },
};
const results = [];

for (const name of names) {
  const cli = findInstalledCli(name);
  if (!cli) {
    console.log(`\n## ${name}: not installed (pinned ${AGENT_CLIS[name].version}); skipped`);
    results.push({ name, status: 'not installed' });
    continue;
  }
  const dir = join(WORK, name);
  const home = join(dir, 'home');
  const repo = join(dir, 'repo');
  const cfg = join(dir, 'mcp');
  for (const d of [home, repo]) mkdirSync(d, { recursive: true });
  mkdirSync(cfg, { recursive: true, mode: 0o700 });
  chmodSync(cfg, 0o700);
  execFileSync('git', ['init', '-q', repo]);
  if (name === 'claude') writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));

  const mcp = resolveTaskMcp(undefined, plan, name);
  const servers = [...mcp.servers, shoalMcpServer(`http://127.0.0.1:${http.port}/cache`)];
  const launch = mcpLaunch(PRESETS[name].mcp, servers, cfg);
  if (launch.file) writeFileSync(launch.file.path, launch.file.content, { mode: launch.file.mode });
  const env = {
    PATH: `${cli.binDir}:${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    SHOAL_CACHE_TOKEN: TOKEN,
    ANTHROPIC_API_KEY: 'sk-ant-fake-0000',
    OPENAI_API_KEY: 'sk-fake-0000',
    GEMINI_API_KEY: 'fake-gemini-0000',
    ...launch.env,
  };
  const before = { ...http.seen };
  let args;
  let debugFile;
  if (name === 'claude') {
    // `claude mcp list` ignores --mcp-config: start a one-shot turn and read its debug log instead
    debugFile = join(dir, 'claude-debug.log');
    args = [...launch.argv, '--debug-file', debugFile, '-p', 'hi'];
  } else if (name === 'codex') args = [...launch.argv, 'mcp', 'list', '--json'];
  else args = ['mcp', 'list'];
  const t0 = Date.now();
  const r = await run(cli.bin, args, env, repo, name === 'claude' ? 45_000 : 90_000);
  const shown = name === 'claude' ? readFileSync(debugFile, 'utf8').split('\n').filter((l) => /MCP server "|mcp-config/.test(l)).map((l) => l.replace(/^\S+ /, '')).join('\n') : r.out.trim();
  const connected = http.seen.authorized - before.authorized;
  console.log(`\n## ${name} ${cli.version} (${((Date.now() - t0) / 1000).toFixed(1)} s, exit ${r.code ?? r.signal})`);
  console.log(`$ ${[cli.bin, ...args].map((a) => (/[\s"'{}$]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  for (const [k, v] of Object.entries(launch.env)) console.log(`  env ${k}=${v}`);
  if (launch.file) console.log(`--- ${launch.file.path} (mode ${(launch.file.mode).toString(8)})\n${launch.file.content}---`);
  console.log(shown);
  console.log(`(local HTTP MCP server: /mcp ${connected} request(s) with the task token, /docs ${http.seen.docs - before.docs} with its header, ${http.seen.refused - before.refused} refused)`);
  const listed = ['echo', 'docs', 'shoal', 'sequential-thinking'].filter((s) => shown.includes(s));
  results.push({ name, status: listed.length === 4 ? 'listed all' : `missing ${['echo', 'docs', 'shoal', 'sequential-thinking'].filter((s) => !listed.includes(s)).join(', ')}`, connected });

  if (name === 'codex') {
    // the same servers as a config.toml in a scratch CODEX_HOME
    const codexHome = join(dir, 'codex-home');
    mkdirSync(codexHome, { recursive: true });
    writeFileSync(join(codexHome, 'config.toml'), renderCodexToml(servers));
    const t = await run(cli.bin, ['mcp', 'list', '--json'], { ...env, CODEX_HOME: codexHome }, repo, 90_000);
    const same = t.out.trim() === r.out.trim();
    console.log(`$ CODEX_HOME=${codexHome} codex mcp list --json  (config.toml from renderCodexToml): ${same ? 'same JSON as with the -c overrides' : `DIFFERENT:\n${t.out}`}`);
    if (!same) results.push({ name: 'codex config.toml', status: 'differs from -c' });
  }
}

http.server.close();
console.log('\n## summary');
for (const r of results) console.log(`${r.name.padEnd(18)} ${r.status}${r.connected !== undefined ? `; Shoal's entry reached the local server with the token: ${r.connected > 0 ? 'yes' : 'no'}` : ''}`);
process.exit(results.some((r) => r.status !== 'listed all' && r.status !== 'not installed') ? 1 : 0);
