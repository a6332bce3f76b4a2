#!/usr/bin/env node
/**
 * Records the raw terminal bytes of short real agent sessions, as a task's log holds them (tmux
 * pipe-pane from the first byte), for the log renderer's tests (libs/runtime/src/terminal).
 *
 *   node scripts/agents-capture/record-logs.mjs                # claude, codex, gemini
 *   node scripts/agents-capture/record-logs.mjs claude         # some
 *
 * Each session runs like `npm run agents:capture` (offline in `unshare -n`, scratch HOME and repo,
 * fake keys, a private tmux server at 200x50) with `pipe-pane 'cat >> log'` set before the CLI
 * starts: start, menus, a prompt typed, the offline retry or error, interrupt, exit. The bytes are
 * scrubbed (paths, host, dates, UUIDs: {@link scrubText}) and written to
 * libs/runtime/src/terminal/fixtures/<cli>-<scenario>.ansi (`.ansi.gz` above 48 KiB). CLIs come from $SHOAL_AGENT_CLIS
 * (default ~/.cache/shoal/agent-clis, then /root/agent-clis), at the versions of versions.mjs.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CapturePane, scratch } from './driver.mjs';
import { scrubText } from './scrub.mjs';
import { AGENT_CLIS } from './versions.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(ROOT, 'libs/runtime/src/terminal/fixtures');
const WORK = process.env.SHOAL_CAPTURE_WORK ?? join(homedir(), '.cache/shoal/agent-log-records');
const PROMPT = 'Say hello in one word';

/** A pane whose bytes are piped to `log` from before the CLI starts. */
class RecordedPane extends CapturePane {
  constructor(o, log) {
    super(o);
    this.log = log;
  }

  async start() {
    const { execFileSync } = await import('node:child_process');
    const { socket, width, height, cwd, env } = this.o;
    execFileSync('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up && exec tmux -L "$0" -f /dev/null new-session -d -s cap -x "$1" -y "$2" -c "$3" sleep 600', socket, String(width), String(height), cwd], { env });
    await this.tmux('set-option', '-g', 'remain-on-exit', 'on');
    await this.tmux('pipe-pane', '-t', this.target, `exec cat >> '${this.log}'`);
    await this.tmux('respawn-pane', '-k', '-t', this.target, '-c', cwd, '--', this.o.bin, ...this.o.args);
  }
}

const onboarded = (home, version) => writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, lastOnboardingVersion: version, numStartups: 1 }));

/** Step helpers: each returns an async function of the pane. */
const until = (re, o = {}) => async (p) => {
  if (!(await p.waitFor((s) => re.test(s) && !(o.not && o.not.test(s)), { deadlineMs: o.deadlineMs ?? 90_000, settle: o.settle ?? true }))) {
    if (!o.optional) throw new Error(`timed out waiting for ${re}`);
  }
};
const keys = (...k) => (p) => p.keys(...k);
const type = (t) => (p) => p.type(t);
const hold = (ms) => () => new Promise((r) => setTimeout(r, ms));
const dead = (p) => p.waitDead(60_000);

/** The recorded sessions: `env` (fake keys), `seed`, and the steps. */
const SESSIONS = {
  claude: [
    { scenario: 'fresh-home', env: { ANTHROPIC_API_KEY: 'sk-ant-fake-0000' }, steps: [dead] },
    {
      scenario: 'session',
      env: { ANTHROPIC_API_KEY: 'sk-ant-fake-0000' },
      seed: onboarded,
      steps: [
        until(/Yes, I trust this folder/), keys('Down', 'Enter'),
        until(/Detected a custom API key|^❯\s*$/m), async (p) => { if (/Detected a custom API key/.test(await p.screen())) await p.keys('Up', 'Enter'); },
        until(/^❯\s*$/m), type(PROMPT), until(new RegExp(PROMPT)), keys('Enter'),
        until(/attempt [3-9]\/10/, { settle: false, deadlineMs: 120_000 }), keys('Escape'),
        until(/^❯/m, { not: /esc to interrupt/ }), keys('C-c', 'C-c'), dead,
      ],
    },
  ],
  codex: [
    {
      scenario: 'session',
      env: { OPENAI_API_KEY: 'sk-fake-0000' },
      steps: [
        until(/Sign in with ChatGPT/), keys('3'),
        until(/Use an OpenAI API key/), keys('Enter'),
        until(/Press enter to save/), keys('Enter'),
        until(/Trust this folder\?|Ask Codex to do anything/), async (p) => { if (/Trust this folder\?/.test(await p.screen())) await p.keys('Enter'); },
        until(/Ask Codex to do anything/), type(PROMPT), until(new RegExp(PROMPT)), keys('Enter'),
        until(/esc to interrupt/, { settle: false }), hold(8_000), keys('C-c'),
        until(/Task is still running|Ask Codex to do anything/, { settle: false }), async (p) => { if (/Task is still running/.test(await p.screen())) await p.keys('Enter'); },
        keys('C-c'), hold(500), keys('C-c'), dead,
      ],
    },
  ],
  gemini: [
    {
      scenario: 'session',
      env: { GEMINI_API_KEY: 'fake-gemini-0000' },
      steps: [
        until(/Do you trust the files in this folder/), keys('Enter'),
        until(/How would you like to authenticate/), keys('Enter'),
        until(/Enter Gemini API Key/), keys('Enter'),
        until(/Type your message/), type(PROMPT), until(new RegExp(PROMPT)), keys('Enter'),
        until(/\(esc to cancel/, { settle: false }), hold(4_000), keys('Escape'),
        until(/Type your message/, { not: /\(esc to cancel/ }), keys('C-c'), hold(300), keys('C-c'), dead,
      ],
    },
  ],
};

function binDir(name) {
  const roots = [process.env.SHOAL_AGENT_CLIS, join(homedir(), '.cache/shoal/agent-clis'), '/root/agent-clis'].filter(Boolean);
  for (const r of roots) {
    const pkg = join(r, name, 'node_modules', AGENT_CLIS[name].pkg, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).version === AGENT_CLIS[name].version) return { bin: join(r, name, 'node_modules', '.bin'), install: join(r, name) };
  }
  throw new Error(`${name} ${AGENT_CLIS[name].version} is not installed (run npm run agents:capture -- ${name} once)`);
}

async function record(name, sc) {
  const where = binDir(name);
  const dir = join(WORK, `${name}-${sc.scenario}`);
  const { home, repo } = scratch(dir);
  sc.seed?.(home, AGENT_CLIS[name].version);
  const log = join(dir, 'pane.log');
  const env = { PATH: [where.bin, dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'), HOME: home, LANG: 'C.UTF-8', USER: 'capture', ...sc.env };
  const pane = new RecordedPane({ socket: `shoal-record-${process.pid}-${name}`, bin: AGENT_CLIS[name].bin, args: [], env, cwd: repo, scratch: dir, width: 200, height: 50 }, log);
  await pane.start();
  try {
    for (const step of sc.steps) await step(pane);
  } finally {
    await pane.stop();
  }
  const raw = readFileSync(log, 'latin1');
  // scrub as UTF-8 text (paths and ids are ASCII), write back the same bytes otherwise
  const text = scrubText(Buffer.from(raw, 'latin1').toString('utf8'), { repo, home, userHome: homedir(), install: where.install, host: hostname() });
  mkdirSync(OUT, { recursive: true });
  // a TUI repainting a spinner writes hundreds of KB in seconds: those go in gzipped
  const bytes = Buffer.from(text, 'utf8');
  const big = bytes.length > 48 * 1024;
  const file = join(OUT, `${name}-${sc.scenario}.ansi${big ? '.gz' : ''}`);
  for (const old of [`${file.replace(/\.gz$/, '')}`, `${file.replace(/\.gz$/, '')}.gz`]) rmSync(old, { force: true });
  writeFileSync(file, big ? gzipSync(bytes, { level: 9 }) : bytes);
  console.log(`${name} ${sc.scenario}: ${bytes.length} bytes -> ${file}`);
}

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SESSIONS);
for (const name of wanted) for (const sc of SESSIONS[name]) await record(name, sc);
