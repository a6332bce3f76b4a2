#!/usr/bin/env node
/**
 * Manual check of `shoal choose` against a real agent CLI, offline: runs the CLI in a private tmux
 * server in its own network namespace (scripts/agents-capture/driver.mjs: scratch HOME, fake keys,
 * a scratch git repo) and answers its start-up menus with the node-agent's own chooser (built:
 * `npm run build` first). Usage:
 *   node scripts/agents-menus-check.mjs <cli> '[["<menu regex>", "<label or number>"], ...]'
 * e.g. claude '[["Yes, I trust this folder","yes"],["Detected a custom API key","yes"]]'.
 * CLIs from $SHOAL_AGENT_CLIS, ~/.cache/shoal/agent-clis or /root/agent-clis (versions.mjs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CapturePane } from './agents-capture/driver.mjs';
import { chooseOption, findMenu } from '../apps/node-agent/dist/menus/index.js';
import { PRESETS } from '../apps/node-agent/dist/presets/index.js';

const [cli, stepsJson] = process.argv.slice(2);
if (!cli || !stepsJson || !PRESETS[cli]) {
  process.stderr.write('usage: agents-menus-check.mjs <claude|codex|gemini|qwen|opencode> \'[["<menu regex>", "<choice>"], ...]\'\n');
  process.exit(2);
}
const roots = [process.env.SHOAL_AGENT_CLIS, join(homedir(), '.cache/shoal/agent-clis'), '/root/agent-clis'].filter(Boolean);
const bin = roots.map((r) => join(r, cli, 'node_modules/.bin', cli)).find((p) => existsSync(p));
if (!bin) throw new Error(`${cli} is not installed under ${roots.join(', ')}`);
const scratch = mkdtempSync(join(tmpdir(), `shoal-menus-${cli}-`));
const home = join(scratch, 'home');
const repo = join(scratch, 'repo');
mkdirSync(home);
mkdirSync(repo);
execFileSync('git', ['init', '-q', repo]);
// claude exits at once offline without its onboarding flag
if (cli === 'claude') writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, lastOnboardingVersion: PRESETS.claude.testedVersion, numStartups: 1 }));
const env = { PATH: process.env.PATH, HOME: home, TERM: 'xterm-256color', ANTHROPIC_API_KEY: 'sk-ant-fake-0000', OPENAI_API_KEY: 'sk-fake-0000', GEMINI_API_KEY: 'fake-gemini-0000' };
const pane = new CapturePane({ socket: `shoal-menus-${process.pid}`, bin, args: [], env, cwd: repo, width: 200, height: 50 });
await pane.start();
const tmux = {
  capturePane: async () => (await pane.screen()).replace(/\s+$/, ''),
  sendKeys: async (_pane, keys) => void (await pane.tmux('send-keys', '-t', pane.target, ...keys)),
};
let failed = false;
try {
  for (const [re, choice] of JSON.parse(stepsJson)) {
    const screen = await pane.waitFor((s) => new RegExp(re).test(s), { deadlineMs: 90_000, settle: true });
    if (!screen) {
      failed = true;
      console.log(`timed out waiting for /${re}/; screen:\n${await pane.screen()}`);
      break;
    }
    const m = findMenu(PRESETS[cli], screen.replace(/\s+$/, ''));
    console.log(`menu ${m?.known?.id ?? '?'}: ${JSON.stringify(m?.options.map((o) => o.label))}, selected ${m?.selected}`);
    const r = await chooseOption(tmux, pane.target, PRESETS[cli], choice, { changeTimeoutMs: 8000, moveTimeoutMs: 4000 });
    console.log(`  choose ${JSON.stringify(choice)}: ${JSON.stringify(r.ok ? { chosen: r.chosen.label, keys: r.keys, changed: r.changed } : r)}`);
    failed ||= !r.ok || !r.changed;
  }
} finally {
  await pane.tmux('kill-server').catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500));
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
