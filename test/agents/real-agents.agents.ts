/**
 * The real-agent suite (`npm run test:agents`; test/agents/run.mjs installs the pinned CLIs when
 * missing and runs this file inside `unshare -n` with only `lo` up). Not in CI, not in `npm test`.
 *
 * A one-node cluster (test/support/cluster.ts) runs ONE plan: claude, codex, gemini, qwen and
 * opencode, each in its own git worktree (`repo:`), its key a secret by reference (fake values,
 * given to the node-agent as SHOAL_SECRET_*), a scratch home prepared by the node-agent and a first
 * `prompt:`; plus `claude-menu`, a claude with `home: shared` (the node-agent's HOME, seeded with
 * onboarding only), which meets the real trust and API-key menus, answered by POST .../choose.
 * Checked per agent: at its prompt unattended (`waiting-for-input` seen, or the node's "first prompt
 * sent" note, which it writes only after its own detector saw the prompt; never `menu`), the first
 * prompt typed (verified on screen by the node-agent), the state after the turn offline (claude,
 * gemini, qwen show an API error: `error`; codex retries for ever: `working`, or `stalled` after
 * 10 min; opencode retries 5 times, then shows the error in its transcript and waits at its input
 * box: `error` after `working`), and a clean stop on cancel (no task window
 * left with a live pane — finished windows are kept on purpose, SHOAL_KEEP_DEAD_WINDOWS —, no
 * process left with the run's SHOAL_RUN_ID in its environment, daemons included). `shoal logs` of
 * claude must read like the screen. The table is printed and written to
 * $SHOAL_AGENTS_OUT/results.md (and .json); its last result is in docs/agents.md "Real-agent suite".
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, isNoTmuxServerError, tempDir, tmuxSocket } from '@shoal/testing';
import type { TaskChooseReply } from '@shoal/protocol';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';
import { ESCAPE_DEBRIS, type ResultRow, RunWatcher, TextWatch, markdownTable, processesOfRun } from './support.js';

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
/**
 * What each CLI does offline after its first turn: shows an API error; retries for ever (codex); or
 * retries a few times (opencode 1.18: 5 attempts, ~1-2 min), then shows the error in its transcript
 * and waits at its input box, which the detector reads as `error` (its cue anchors to the
 * transcript's last message, wherever the sidebar's lines put it).
 */
const OFFLINE: Record<Cli, 'error' | 'retries' | 'gives up'> = { claude: 'error', codex: 'retries', gemini: 'error', qwen: 'error', opencode: 'gives up' };
const WANT_AFTER = { error: 'error', retries: 'working or stalled', 'gives up': 'gave up: error after working' } as const;
const PROMPT = 'Reply with the single word pong';
/** The node-agent's note on a task's output once its first prompt was typed, seen and entered (or why not). */
const PROMPT_NOTE = /\[shoal\] first prompt (sent \(seen on screen, then Enter\)|not sent: [^\n]*)/;
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

/** The task's streamed output as the coordinator keeps it (its last 64 KiB). */
async function taskLogReply(runId: string, task: string): Promise<{ text: string; truncated: boolean }> {
  const res = await cluster.fetch(`${cluster.api}/runs/${runId}/tasks/${task}/logs`);
  return res.ok ? ((await res.json()) as { text: string; truncated: boolean }) : { text: '', truncated: false };
}

async function taskLog(runId: string, task: string): Promise<string> {
  return (await taskLogReply(runId, task)).text;
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

/** Every pane of the node's tmux server: its window's name and whether its process ended. */
async function panes(): Promise<{ window: string; dead: boolean }[]> {
  try {
    const out = await cluster.tmux(socket, ['list-panes', '-a', '-F', '#{window_name}\t#{pane_dead}']);
    return out.split('\n').filter(Boolean).map((l) => ({ window: l.split('\t')[0]!, dead: l.split('\t')[1] === '1' }));
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
  // each CLI's first-prompt note, and claude's prompt in `shoal logs`, read from the start: the
  // stream keeps 64 KiB, which claude's offline retry countdown fills within minutes
  const notes = new TextWatch(() => CLIS, (c) => taskLog(run.id, c), PROMPT_NOTE, t0);
  notes.start();
  const claudeLogs = new TextWatch(() => (notes.found.claude ? ['claude'] : []), async () => (await shoal('logs', run.id, 'claude')).stdout, new RegExp(PROMPT), t0);
  claudeLogs.start();
  const said: string[] = [];
  const menuAnswers: string[] = [];
  const screens: Record<string, string> = {};
  let logsCheck = { readable: false, sample: '' };
  let stopped: Record<string, boolean> = {};
  let leftover: ReturnType<typeof processesOfRun> = [];
  const ended = (id: string) => ['succeeded', 'failed', 'cancelled', 'skipped', 'timed-out'].includes(w.current(id) ?? '');
  const sent = (c: string) => notes.found[c]?.match.startsWith('sent') ?? false;
  // the node types the first prompt only once its own detector saw the input prompt (500 ms polls):
  // its note proves the prompt was reached even when `waiting-for-input` was shorter than a heartbeat
  const atPrompt = (c: string) => w.ever(c, 'waiting-for-input') || sent(c);
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
    // every first prompt noted (sent or not, and why), claude-menu at its prompt, claude's prompt in its logs
    const allNoted = () => CLIS.every((c) => notes.found[c] || ended(c)) && (w.ever(MENU_TASK, 'waiting-for-input') || ended(MENU_TASK)) && (claudeLogs.found.claude !== undefined || ended('claude') || !sent('claude'));
    await w.until(allNoted, 'every first prompt noted, claude-menu at its prompt', 300_000);
    const promptsAtS = Math.round((Date.now() - t0) / 1000);

    // the turn offline: claude, gemini, qwen end on an API error, opencode gives up, codex keeps retrying
    await w.until(() => CLIS.every((c) => OFFLINE[c] === 'retries' || ended(c) || (OFFLINE[c] === 'error' ? w.ever(c, 'error') : gaveUp(w, c))), 'the API errors offline, opencode giving up', 480_000);
    for (const c of CLIS) screens[c] = (await screenOf(run.id, c)).split('\n').filter((l) => l.trim()).join('\n');
    said.push(`opencode's screen after the turn: ${JSON.stringify(screens.opencode!.split('\n').filter((l) => /Cannot connect|retrying|esc interrupt|ctrl\+p commands/.test(l)).map((l) => l.replace(/\s{3,}/g, '  ').trim()))}`);

    // shoal logs of claude reads like its screen: the prompt with its spaces (read once the prompt
    // was sent), the API errors now, never escape debris
    const early = claudeLogs.found.claude?.text ?? '';
    const late = await shoal('logs', run.id, 'claude');
    const sample = [...early.split('\n').filter((l) => l.includes(PROMPT)).slice(0, 2), ...late.stdout.split('\n').filter((l) => /API|connect|retry/i.test(l)).slice(-4)].join('\n');
    logsCheck = { readable: early.length > 0 && late.code === 0 && !ESCAPE_DEBRIS.test(early) && !ESCAPE_DEBRIS.test(late.stdout), sample };
    for (const t of [early, late.stdout]) if (ESCAPE_DEBRIS.test(t)) said.push(`claude logs debris: ${JSON.stringify(t.match(ESCAPE_DEBRIS)?.[0])}`);
    const stream = await taskLogReply(run.id, 'claude');
    const nodeFile = await shoal('logs', run.id, 'claude', '--node-file', '--bytes', String(256 * 1024));
    said.push(`claude's prompt in shoal logs at ${claudeLogs.found.claude?.atS ?? '-'} s; at ${Math.round((Date.now() - t0) / 1000)} s its stream is ${stream.text.length} chars, truncated: ${stream.truncated}, prompt in it: ${stream.text.includes(PROMPT)}; prompt in --node-file --bytes 262144: ${nodeFile.stdout.includes(PROMPT)}`);

    const afterTurn = Object.fromEntries(CLIS.map((c) => [c, w.current(c)]));
    said.push(`states after the turn (${Math.round((Date.now() - t0) / 1000)} s, prompts noted by ${promptsAtS} s): ${JSON.stringify(afterTurn)}`);

    // cancel: no task window with a live pane (finished windows stay for operators to read,
    // SHOAL_KEEP_DEAD_WINDOWS), no process of the run left (codex's app-server daemon included);
    // each task's processes must be found before, or the check after could not fail
    const before = processesOfRun(run.id);
    const found = new Set(before.map((p) => p.task));
    said.push(`processes of the run before cancel: ${before.length} (${[...found].join(', ')})`);
    const cancel = await cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' });
    said.push(`cancel: HTTP ${cancel.status}`);
    await cluster.waitForRun(run.id, 120_000);
    await w.poll();
    const ids: string[] = [...CLIS, MENU_TASK];
    await w.until(() => processesOfRun(run.id).length === 0, 'no process of the run', 60_000);
    let live: string[] = [];
    let kept: string[] = [];
    const panesDeadline = Date.now() + 60_000;
    for (;;) {
      const ours = (await panes()).filter((p) => ids.includes(p.window));
      live = ours.filter((p) => !p.dead).map((p) => p.window);
      kept = ours.filter((p) => p.dead).map((p) => p.window);
      if (live.length === 0 || Date.now() >= panesDeadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    leftover = processesOfRun(run.id);
    stopped = Object.fromEntries(ids.map((id) => [id, found.has(id) && w.current(id) === 'cancelled' && !live.includes(id) && !leftover.some((p) => p.task === id)]));
    if (live.length > 0) said.push(`windows left with a live pane: ${live.join(', ')}`);
    if (kept.length > 0) said.push(`finished windows kept (dead panes, SHOAL_KEEP_DEAD_WINDOWS): ${kept.join(', ')}`);
    for (const p of leftover) said.push(`process left: ${p.task} pid ${p.pid} ${p.cmd}`);
  } finally {
    await Promise.all([w.stop(), notes.stop(), claudeLogs.stop()]);
    const rows: ResultRow[] = [...CLIS, MENU_TASK].map((id) => {
      const cli: Cli = id === MENU_TASK ? 'claude' : (id as Cli);
      const at = w.firstAt(id, 'waiting-for-input');
      const note = notes.found[id];
      const menuSeen = w.ever(id, 'menu');
      return {
        agent: id,
        version: version(cli),
        reachedPrompt: at !== undefined ? `${at} s` : sent(id) ? `by ${note!.atS} s (its first prompt sent; \`waiting-for-input\` lasted less than a heartbeat)` : `no (${w.trail(id)})`,
        firstPrompt: id === MENU_TASK ? '—' : note === undefined ? 'no note' : sent(id) ? 'yes, seen on screen' : note.match,
        afterTurn: id === MENU_TASK ? '— (no prompt given)' : afterTurnCell(w, cli),
        menu: id === MENU_TASK ? menuAnswers.join('; ') || 'no menu met' : menuSeen ? 'MENU SEEN' : 'none met',
        stopped: stopped[id] === undefined ? 'not reached' : stopped[id] ? 'yes' : 'NO',
      };
    });
    const table = markdownTable(rows);
    const text = [table, '', `shoal logs claude readable: ${logsCheck.readable}`, logsCheck.sample.replace(/^/gm, '    '), '', ...said, '', 'trails:', ...[...CLIS, MENU_TASK].map((id) => `  ${id}: ${w.trail(id)}`)].join('\n');
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'results.md'), `${new Date().toISOString()}\n\n${text}\n`);
    writeFileSync(join(OUT, 'results.json'), JSON.stringify({ at: new Date().toISOString(), rows, logsCheck, notes: said, seen: w.seen, leftover, screens }, null, 2));
    process.stdout.write(`\n${text}\n`);
  }

  const got = Object.fromEntries(CLIS.map((c) => [c, { prompt: atPrompt(c), menu: w.ever(c, 'menu'), typed: sent(c), after: afterTurn(w, c), stopped: stopped[c] }]));
  const want = Object.fromEntries(CLIS.map((c) => [c, { prompt: true, menu: false, typed: true, after: WANT_AFTER[OFFLINE[c]], stopped: true }]));
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

/** Whether the agent gave its turn up: `error` seen after it first worked. */
function gaveUp(w: RunWatcher, c: string): boolean {
  const from = w.firstAt(c, 'working');
  return from !== undefined && w.firstAt(c, 'error', from) !== undefined;
}

/** The state after the turn as compared with {@link WANT_AFTER}. */
function afterTurn(w: RunWatcher, c: Cli): string {
  const last = stateBeforeCancel(w, c);
  if (OFFLINE[c] === 'error') return w.ever(c, 'error') ? 'error' : 'no error';
  if (OFFLINE[c] === 'retries') return last === 'working' || last === 'stalled' ? WANT_AFTER.retries : last;
  return gaveUp(w, c) && last === 'error' ? WANT_AFTER['gives up'] : `did not give up (last: ${last})`;
}

/** The table's cell: the state after the turn and when. */
function afterTurnCell(w: RunWatcher, c: Cli): string {
  const last = stateBeforeCancel(w, c);
  if (OFFLINE[c] === 'error') return w.ever(c, 'error') ? `error (at ${w.firstAt(c, 'error')} s)` : last;
  if (OFFLINE[c] === 'retries') return last;
  const from = w.firstAt(c, 'working');
  const stop = from === undefined ? undefined : w.firstAt(c, 'error', from);
  return stop !== undefined ? `${last} (working from ${from} s, gave up at ${stop} s)` : last;
}
