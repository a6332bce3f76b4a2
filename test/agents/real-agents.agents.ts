/**
 * The real-agent suite (`npm run test:agents`; test/agents/run.mjs installs the pinned CLIs when
 * missing and runs this file inside `unshare -n` with only `lo` up). Not in CI, not in `npm test`.
 *
 * A one-node cluster (test/support/cluster.ts) runs ONE plan: claude, codex, gemini, qwen and
 * opencode, each in its own git worktree (`repo:`), its key a secret by reference (fake values,
 * given to the node-agent as SHOAL_SECRET_*), a scratch home prepared by the node-agent and a first
 * `prompt:`; plus `claude-menu`, a claude with `home: shared` (the node-agent's HOME, seeded with
 * onboarding only), which meets the real trust and API-key menus, answered by POST .../choose.
 * Checked per agent: at its prompt unattended (`waiting-for-input`, never `menu`), the first prompt
 * typed (verified on screen by the node-agent), the state after the turn offline (claude, gemini,
 * qwen show an API error: `error`; codex and opencode retry for ever: `working`, or `stalled`
 * after 10 min), and a clean stop on cancel (windows gone, no process left with the run's
 * SHOAL_RUN_ID in its environment, daemons included). `shoal logs` of claude must read like the
 * screen. The table is printed and written to $SHOAL_AGENTS_OUT/results.md (and .json); its last
 * result is in docs/agents.md "Real-agent suite".
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, isNoTmuxServerError, tempDir, tmuxSocket } from '@shoal/testing';
import type { TaskChooseReply } from '@shoal/protocol';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';
import { ESCAPE_DEBRIS, type ResultRow, RunWatcher, markdownTable, processesOfRun } from './support.js';

const exec = promisify(execFile);
const OUT = process.env.SHOAL_AGENTS_OUT ?? join(homedir(), '.cache/shoal/agents-suite');
const CLIS = ['claude', 'codex', 'gemini', 'qwen', 'opencode'] as const;
type Cli = (typeof CLIS)[number];
/** Where test/agents/run.mjs found each CLI (install dirs), by name. */
const INSTALLS = JSON.parse(process.env.SHOAL_AGENT_CLI_DIRS ?? '{}') as Record<Cli, string>;
/** Fake keys only: the suite runs offline, no real credential is ever used. */
const SECRETS = { SHOAL_SECRET_ANTHROPIC: 'sk-ant-fake-0000000000000000000000000000000000000000', SHOAL_SECRET_OPENAI: 'sk-fake-00000000000000000000000000000000', SHOAL_SECRET_GEMINI: 'fake-gemini-00000000000000000000' };
const KEYS: Record<Cli, string> = {
  claude: '{ ANTHROPIC_API_KEY: anthropic }',
  codex: '{ OPENAI_API_KEY: openai }',
  gemini: '{ GEMINI_API_KEY: gemini }',
  qwen: '{ OPENAI_API_KEY: openai }', // the prepared settings select the key (no provider dialog)
  opencode: '{ ANTHROPIC_API_KEY: anthropic }',
};
/** The CLIs that show an API error offline; codex and opencode retry for ever instead. */
const ERRS_OFFLINE: readonly Cli[] = ['claude', 'gemini', 'qwen'];
const PROMPT = 'Reply with the single word pong';
const MENU_TASK = 'claude-menu';

const disposables = new Disposables();
let cluster: TestCluster;
let work: string;
let socket: string;
afterAll(() => disposables.disposeAll(), 120_000);
beforeAll(async () => {
  expect(Object.keys(INSTALLS).sort()).toEqual([...CLIS].sort()); // run through test/agents/run.mjs
  const dir = tempDir('shoal-agents-');
  disposables.add(() => dir.dispose());
  work = dir.path;
  const tmux = tmuxSocket();
  disposables.add(() => tmux.dispose());
  socket = tmux.name;
  // the node-agent's own HOME (what `home: shared` gives): claude's onboarding done, nothing trusted
  const nodeHome = join(work, 'node-home');
  mkdirSync(nodeHome, { recursive: true });
  writeFileSync(join(nodeHome, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, lastOnboardingVersion: version('claude'), numStartups: 1 }));
  cluster = await startCluster([{ nodeId: 'agents-node', tmuxSocket: socket, dataDir: join(work, 'node'), env: { ...SECRETS, HOME: nodeHome } }], disposables);
}, 180_000);

function binOf(cli: Cli): string {
  return join(INSTALLS[cli], 'node_modules/.bin', cli);
}

/** The installed version (package.json of the CLI's package). */
function version(cli: Cli): string {
  const pkg = { claude: '@anthropic-ai/claude-code', codex: '@openai/codex', gemini: '@google/gemini-cli', qwen: '@qwen-code/qwen-code', opencode: 'opencode-ai' }[cli];
  return (JSON.parse(readFileSync(join(INSTALLS[cli], 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The built CLI against the cluster; never rejects. */
async function shoal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [join(ROOT, 'apps/cli/dist/main.js'), '--api', cluster.api, ...args], { env: { ...process.env, SHOAL_TOKEN: cluster.token }, maxBuffer: 16 << 20 });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

async function taskLog(runId: string, task: string): Promise<string> {
  const res = await cluster.fetch(`${cluster.api}/runs/${runId}/tasks/${task}/logs`);
  return res.ok ? ((await res.json()) as { text: string }).text : '';
}

async function choose(runId: string, option: string): Promise<{ status: number; body: TaskChooseReply & { message?: string } }> {
  const res = await cluster.fetch(`${cluster.api}/runs/${runId}/tasks/${MENU_TASK}/choose`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ option }) });
  return { status: res.status, body: (await res.json()) as TaskChooseReply & { message?: string } };
}

async function screenOf(runId: string, task: string): Promise<string> {
  const res = await cluster.fetch(`${cluster.api}/runs/${runId}/tasks/${task}/capture`);
  return res.ok ? ((await res.json()) as { text: string }).text : '';
}

/** Polls the pane until `cue` shows; false at the deadline. */
async function screenShows(runId: string, task: string, cue: RegExp, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cue.test(await screenOf(runId, task))) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

async function windows(): Promise<string[]> {
  try {
    return (await cluster.tmux(socket, ['list-windows', '-a', '-F', '#{window_name}'])).split('\n').filter(Boolean);
  } catch (e) {
    if (isNoTmuxServerError(e)) return [];
    throw e;
  }
}

it('five real agents in worktrees reach their prompts unattended, take the first prompt, show the offline state, a menu is answered by choose, all stop cleanly', async () => {
  const repo = join(work, 'repo');
  mkdirSync(repo);
  await exec('git', ['-C', repo, 'init', '-q', '-b', 'main']);
  await exec('git', ['-C', repo, '-c', 'user.email=a@example.invalid', '-c', 'user.name=a', 'commit', '-q', '--allow-empty', '-m', 'start']);
  const path = (cli: Cli) => `${dirname(binOf(cli))}:${dirname(process.execPath)}:/usr/bin:/bin`;
  const common = (cli: Cli) => `command: [${JSON.stringify(binOf(cli))}], repo: ${JSON.stringify(repo)}, secrets: ${KEYS[cli]}, env: { PATH: ${JSON.stringify(path(cli))}, TERM: xterm-256color }, resources: { memory: 768, cpu: 20 }, on_memory_exceeded: notify`;
  const plan = [
    'name: real-agents',
    'teams: [{ name: dev }]',
    'phases:',
    '  - id: a',
    '    tasks:',
    ...CLIS.map((c) => `      - { id: ${c}, team: dev, role: ${c}, agent: ${c}, ${common(c)}, prompt: ${JSON.stringify(PROMPT)} }`),
    `      - { id: ${MENU_TASK}, team: dev, role: ${MENU_TASK}, agent: claude, home: shared, ${common('claude')} }`,
  ].join('\n');
  const t0 = Date.now();
  const run = await cluster.submit(plan);
  disposables.add(() => cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' }).catch(() => undefined));
  const w = new RunWatcher(() => cluster.get(run.id), t0);
  w.start();
  const notes: string[] = [];
  const promptLine: Record<string, string> = {};
  const menuAnswers: string[] = [];
  let logsCheck = { readable: false, sample: '' };
  let stopped: Record<string, boolean> = {};
  let leftover: ReturnType<typeof processesOfRun> = [];
  const ended = (id: string) => ['succeeded', 'failed', 'cancelled', 'skipped', 'timed-out'].includes(w.current(id) ?? '');
  try {
    // the menu agent: claude's trust menu, then its API-key menu, each answered by choose
    if (await w.until(() => w.ever(MENU_TASK, 'menu') || ended(MENU_TASK), `${MENU_TASK} in a menu`, 180_000)) {
      for (const [menuId, cue] of [['trust', /trust this folder/i], ['api-key', /Detected a custom API key/]] as const) {
        const shown = await screenShows(run.id, MENU_TASK, cue, 60_000);
        if (!shown) {
          menuAnswers.push(`${menuId}: not shown`);
          break;
        }
        const r = await choose(run.id, 'yes');
        menuAnswers.push(r.status < 300 ? `${r.body.menu.id} → ${r.body.chosen.label} (${r.body.keys.join(' ')}${r.body.changed ? '' : ', screen unchanged'})` : `${menuId}: ${r.status} ${r.body.message}`);
        if (r.status >= 300 || r.body.menu.id !== menuId || !r.body.changed) break;
      }
    }
    await w.until(() => CLIS.every((c) => w.ever(c, 'waiting-for-input') || ended(c)) && (w.ever(MENU_TASK, 'waiting-for-input') || ended(MENU_TASK)), 'every agent at its prompt', 240_000);

    // the first prompt: the node-agent notes it on the task's output once typed, seen and entered
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline && CLIS.some((c) => promptLine[c] === undefined && !ended(c))) {
      for (const c of CLIS) {
        if (promptLine[c] !== undefined) continue;
        const m = (await taskLog(run.id, c)).match(/\[shoal\] first prompt (sent \(seen on screen, then Enter\)|not sent: [^\n]*)/);
        if (m) promptLine[c] = m[1]!;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const promptsAtS = Math.round((Date.now() - t0) / 1000);

    // the turn offline: claude, gemini, qwen end on an API error; codex and opencode keep retrying
    await w.until(() => ERRS_OFFLINE.every((c) => w.ever(c, 'error') || ended(c)), 'the API errors offline', 480_000);

    // shoal logs of claude reads like its screen: the prompt with its spaces, no escape debris
    const logs = await shoal('logs', run.id, 'claude');
    const sample = logs.stdout.split('\n').filter((l) => l.includes(PROMPT) || /API|connect|retry/i.test(l)).slice(0, 6).join('\n');
    logsCheck = { readable: logs.code === 0 && logs.stdout.includes(PROMPT) && !ESCAPE_DEBRIS.test(logs.stdout), sample };
    if (ESCAPE_DEBRIS.test(logs.stdout)) notes.push(`claude logs debris: ${JSON.stringify(logs.stdout.match(ESCAPE_DEBRIS)?.[0])}`);

    const afterTurn = Object.fromEntries(CLIS.map((c) => [c, w.current(c)]));
    notes.push(`states after the turn (${Math.round((Date.now() - t0) / 1000)} s, prompts by ${promptsAtS} s): ${JSON.stringify(afterTurn)}`);

    // cancel: every window gone, no process of the run left (codex's app-server daemon included);
    // each task's processes must be found before, or the check after could not fail
    const before = processesOfRun(run.id);
    const found = new Set(before.map((p) => p.task));
    notes.push(`processes of the run before cancel: ${before.length} (${[...found].join(', ')})`);
    const cancel = await cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' });
    notes.push(`cancel: HTTP ${cancel.status}`);
    await cluster.waitForRun(run.id, 120_000);
    await w.poll();
    const ids: string[] = [...CLIS, MENU_TASK];
    let left: string[] = [];
    await w.until(() => processesOfRun(run.id).length === 0, 'no process of the run', 60_000);
    const windowsDeadline = Date.now() + 60_000;
    while ((left = (await windows()).filter((n) => ids.includes(n))).length > 0 && Date.now() < windowsDeadline) await new Promise((r) => setTimeout(r, 1000));
    leftover = processesOfRun(run.id);
    stopped = Object.fromEntries(ids.map((id) => [id, found.has(id) && w.current(id) === 'cancelled' && !left.includes(id) && !leftover.some((p) => p.task === id)]));
    if (left.length > 0) notes.push(`windows left: ${left.join(', ')}`);
    for (const p of leftover) notes.push(`process left: ${p.task} pid ${p.pid} ${p.cmd}`);
  } finally {
    await w.stop();
    const rows: ResultRow[] = [...CLIS, MENU_TASK].map((id) => {
      const cli: Cli = id === MENU_TASK ? 'claude' : (id as Cli);
      const at = w.firstAt(id, 'waiting-for-input');
      const menuSeen = w.ever(id, 'menu');
      const after = id === MENU_TASK ? '— (no prompt given)' : ERRS_OFFLINE.includes(cli) && w.ever(id, 'error') ? `error (at ${w.firstAt(id, 'error')} s)` : `${stateBeforeCancel(w, id)}`;
      return {
        agent: id,
        version: version(cli),
        reachedPrompt: at === undefined ? `no (${w.trail(id)})` : `${at} s`,
        firstPrompt: id === MENU_TASK ? '—' : promptLine[id] === undefined ? 'no line' : promptLine[id]!.startsWith('sent') ? 'yes, seen on screen' : promptLine[id]!,
        afterTurn: after,
        menu: id === MENU_TASK ? menuAnswers.join('; ') || 'no menu met' : menuSeen ? 'MENU SEEN' : 'none met',
        stopped: stopped[id] === undefined ? 'not reached' : stopped[id] ? 'yes' : 'NO',
      };
    });
    const table = markdownTable(rows);
    const text = [table, '', `shoal logs claude readable: ${logsCheck.readable}`, logsCheck.sample.replace(/^/gm, '    '), '', ...notes, '', 'trails:', ...[...CLIS, MENU_TASK].map((id) => `  ${id}: ${w.trail(id)}`)].join('\n');
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'results.md'), `${new Date().toISOString()}\n\n${text}\n`);
    writeFileSync(join(OUT, 'results.json'), JSON.stringify({ at: new Date().toISOString(), rows, logsCheck, notes, seen: w.seen, leftover }, null, 2));
    process.stdout.write(`\n${text}\n`);
  }

  const got = Object.fromEntries(
    CLIS.map((c) => [c, { prompt: w.ever(c, 'waiting-for-input'), menu: w.ever(c, 'menu'), typed: promptLine[c]?.startsWith('sent') ?? false, after: ERRS_OFFLINE.includes(c) ? (w.ever(c, 'error') ? 'error' : 'no error') : retrying(stateBeforeCancel(w, c)), stopped: stopped[c] }]),
  );
  const want = Object.fromEntries(CLIS.map((c) => [c, { prompt: true, menu: false, typed: true, after: ERRS_OFFLINE.includes(c) ? 'error' : 'working or stalled', stopped: true }]));
  expect(got).toEqual(want);
  expect({ menus: menuAnswers.map((m) => m.split(' ')[0]), prompt: w.ever(MENU_TASK, 'waiting-for-input'), stopped: stopped[MENU_TASK] }).toEqual({ menus: ['trust', 'api-key'], prompt: true, stopped: true });
  expect(menuAnswers.every((m) => !m.includes('unchanged'))).toBe(true);
  expect(logsCheck.readable).toBe(true);
  expect(leftover).toEqual([]);
});

/** The agent state last seen while the task ran (before the cancel turned it `cancelled`). */
function stateBeforeCancel(w: RunWatcher, id: string): string {
  const states = (w.seen[id] ?? []).map((s) => s.state).filter((s) => !['cancelled', 'cancelling'].includes(s));
  return states.at(-1) ?? 'none';
}

function retrying(state: string): string {
  return state === 'working' || state === 'stalled' ? 'working or stalled' : state;
}
