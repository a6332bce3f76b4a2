#!/usr/bin/env node
/**
 * Checks the prepared agent homes against the real agent CLIs (not in CI: they are large and live
 * outside the repo). For each CLI found, two runs in a private tmux server inside `unshare -n`
 * (only `lo` up; needs root), a scratch git repo as cwd, fake API keys, no caller environment:
 *
 *   - bare:     a fresh empty HOME — what a new user meets;
 *   - prepared: the HOME the node-agent prepares (apps/node-agent/dist/homes: `AgentHomes.prepare`
 *               for a task of that preset, the key read from the fake environment).
 *
 * Each run waits (up to 90 s) until the screen has settled and shows the preset's input box without
 * a menu (pass), a menu (named by its first line), or the pane dead; prints the files written with
 * their modes and the last screen lines; exits 1 when a prepared home did not reach the input box.
 *
 * Usage: npm run build (or npx tsc -b apps/node-agent), then
 *   node scripts/agents-home-check.mjs [claude codex gemini qwen opencode]
 * `<name>:key-only` gives the CLI only its first key variable (e.g. qwen without OPENAI_BASE_URL/MODEL).
 * CLIs are looked for as in scripts/agents-mcp-check.mjs. Results: apps/node-agent/src/homes/VERIFIED.md.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CapturePane, scratch } from './agents-capture/driver.mjs';
import { AGENT_CLIS, findInstalledCli } from './agents-capture/versions.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = process.env.SHOAL_HOME_CHECK_WORK ?? join(homedir(), '.cache/shoal/home-check');
const args = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(AGENT_CLIS);
const { AgentHomes } = await import(pathToFileURL(join(ROOT, 'apps/node-agent/dist/homes/index.js')).href);
const { PRESETS } = await import(pathToFileURL(join(ROOT, 'apps/node-agent/dist/presets/index.js')).href);

/** Fake keys only (long enough for Claude's 20-character suffix). */
const FAKE = {
  claude: { ANTHROPIC_API_KEY: 'sk-ant-fake-0000000000000000000000000000000000000000' },
  codex: { OPENAI_API_KEY: 'sk-fake-00000000000000000000000000000000' },
  gemini: { GEMINI_API_KEY: 'fake-gemini-00000000000000000000' },
  qwen: { OPENAI_API_KEY: 'sk-fake-00000000000000000000000000000000', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_MODEL: 'qwen3-coder-plus' },
  opencode: { ANTHROPIC_API_KEY: 'sk-ant-fake-0000000000000000000000000000000000000000' },
};

const rx = (list) => list.map((p) => new RegExp(p, 'im'));
const tail = (screen, n) => screen.split('\n').filter((l) => l.trim() !== '').slice(-n).join('\n');

/** What the screen shows, by the preset's own patterns: 'input box', 'menu', or undefined (neither yet). */
function classify(name, screen) {
  const p = PRESETS[name].patterns;
  const last = tail(screen, PRESETS[name].tailLines);
  if (rx(p.menu).some((r) => r.test(last))) return 'menu';
  if (rx(p.working).some((r) => r.test(last))) return undefined;
  if (rx(p.prompt).some((r) => r.test(last))) return 'input box';
  return undefined;
}

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${relative(dir, p)} ${(statSync(p).mode & 0o777).toString(8)}`);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

async function runOne(name, cli, variant, fake) {
  const root = join(WORK, `${name}-${variant}`);
  const { home: bareHome, repo } = scratch(root);
  let home = bareHome;
  let extraEnv = {};
  let written = [];
  if (variant === 'prepared') {
    const homes = new AgentHomes(join(root, 'data'), (m) => console.log(`  warn: ${m}`));
    const task = { runId: 'check', taskId: name, attempt: 1, agent: name, env: {} };
    const prepared = await homes.prepare(task, repo, fake);
    home = prepared.home;
    extraEnv = prepared.env;
    written = listFiles(home);
  }
  const env = { PATH: `${cli.binDir}:${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: home, TERM: 'xterm-256color', LANG: 'C.UTF-8', ...fake, ...extraEnv };
  const pane = new CapturePane({ socket: `home-check-${name}-${variant}-${process.pid}`, bin: cli.bin, args: [], env, cwd: repo, width: 200, height: 50, scratch: root });
  const t0 = Date.now();
  let result = 'no input box within 90 s';
  let screen = '';
  try {
    await pane.start();
    const end = Date.now() + 90_000;
    while (Date.now() < end) {
      if (await pane.dead()) {
        screen = await pane.screen();
        result = 'exited';
        break;
      }
      const s = await pane.waitSettled({ deadlineMs: 10_000, settleMs: 3_000 });
      if (s === undefined) continue;
      screen = s;
      const c = classify(name, s);
      if (c === 'input box') {
        result = 'input box';
        break;
      }
      if (c === 'menu') {
        const lines = s.split('\n').map((l) => l.replace(/[│╭╮╰╯─]/g, '').trim());
        result = `menu: ${lines.find((l) => /\?$/.test(l)) ?? lines.find((l) => /trust|sign in|api key|provider/i.test(l)) ?? 'unnamed'}`;
        break;
      }
    }
  } finally {
    await pane.stop();
  }
  const after = variant === 'prepared' ? listFiles(home).filter((f) => f.startsWith('.claude.json') || f.includes('.codex/') || f.includes('.gemini/') || f.includes('.qwen/')).slice(0, 12) : [];
  rmSync(root, { recursive: true, force: true });
  return { name, variant, result, seconds: ((Date.now() - t0) / 1000).toFixed(1), written, after, screen: tail(screen, 14) };
}

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const results = [];
for (const arg of args) {
  const [name, only] = arg.split(':');
  const fake = only === 'key-only' ? Object.fromEntries(Object.entries(FAKE[name]).slice(0, 1)) : FAKE[name];
  const cli = findInstalledCli(name);
  if (!cli) {
    console.log(`\n## ${name}: not installed (pinned ${AGENT_CLIS[name].version}); skipped`);
    continue;
  }
  // both variants at once: they share nothing but the machine
  const pair = await Promise.all(['bare', 'prepared'].map((v) => runOne(name, cli, v, fake)));
  for (const r of pair) {
    console.log(`\n## ${name} ${cli.version} — ${r.variant} HOME: ${r.result} (${r.seconds} s)`);
    console.log(`env: ${Object.keys(fake).join(', ')} (fake values)`);
    if (r.variant === 'prepared') console.log(`written by the node-agent's code (path mode):\n  ${r.written.join('\n  ') || '(nothing)'}`);
    console.log(`--- last screen lines\n${r.screen}\n---`);
    results.push({ ...r, name: arg });
  }
}
console.log('\n## summary');
for (const r of results) console.log(`${r.name.padEnd(9)} ${r.variant.padEnd(9)} ${r.result} (${r.seconds} s)`);
process.exit(results.some((r) => r.variant === 'prepared' && r.result !== 'input box') ? 1 : 0);
