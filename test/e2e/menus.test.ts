import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, waitFor } from '@shoal/testing';
import type { RunView, TaskCaptureReply, TaskChooseReply, TaskKeysReply, TaskView } from '@shoal/protocol';
import { ROOT, type TestCluster, startOneNodeCluster } from '../support/cluster.js';

// A stand-in that draws claude's captured trust and API-key menus and follows Up/Down/Enter like
// the real CLI (test/fixtures/menu-agent.mjs), read by the claude preset's detector and menu ids.
const exec = promisify(execFile);
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const MENU_AGENT = join(ROOT, 'test/fixtures/menu-agent.mjs');
const CLAUDE_SCREENS = join(ROOT, 'apps/node-agent/src/presets/fixtures/claude');
const disposables = new Disposables();
let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  ({ cluster, dir } = await startOneNodeCluster(disposables, { nodeId: 'node-m', env: { SHOAL_CPU_BAND: 'off' } }));
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

const logOf = (id: string) => join(dir, `${id}.choices`);
const choices = (id: string) => (existsSync(logOf(id)) ? readFileSync(logOf(id), 'utf8') : '');
const task = (id: string, extra = '') =>
  `      - { id: ${id}, team: m, role: ${id}, agent: claude, command: [${process.execPath}, ${MENU_AGENT}, ${CLAUDE_SCREENS}, ${logOf(id)}]${extra} }`;
const view = (run: RunView, id: string): TaskView => run.tasks.find((t) => t.id === id)!;

/** Runs the built CLI against the cluster; resolves with exit code and output, never rejects. */
async function shoal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [CLI, '--api', cluster.api, ...args], { env: { ...process.env, SHOAL_TOKEN: cluster.token } });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await cluster.fetch(`${cluster.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function agentState(runId: string, id: string, state: string): Promise<void> {
  await waitFor(
    async () => {
      const t = view(await cluster.get(runId), id);
      if (t.agent?.state !== state) throw new Error(`${id}: ${t.state}, agent ${t.agent?.state}`);
      return true;
    },
    { what: `${id} in state ${state}`, timeoutMs: 60_000, intervalMs: 250 },
  );
}

describe('answering menus: shoal keys, shoal choose, answers:', () => {
  it('presses allowed keys, refuses text, chooses by label and number, and answers: chooses on its own', async () => {
    const run = await cluster.submit(['name: menus', 'teams: [{ name: m }]', 'phases:', '  - id: p', '    tasks:', task('manual'), task('auto', ', answers: { trust: yes, api-key: yes }')].join('\n'));
    disposables.add(() => cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' }).catch(() => undefined));
    const at = `/runs/${run.id}/tasks/manual`;
    await agentState(run.id, 'manual', 'menu');

    // keys: Down moves claude's marker to "Yes, I trust this folder"; the screen changed
    const down = await post(`${at}/keys`, { keys: ['Down'] });
    expect(down.status).toBe(201); // like send (a POST without @HttpCode)
    expect(down.body as unknown as TaskKeysReply).toMatchObject({ keys: ['Down'], changed: true, attempt: 1, nodeId: 'node-m' });
    const screen = (await (await cluster.fetch(`${cluster.api}${at}/capture`)).json()) as TaskCaptureReply;
    expect(screen.text).toMatch(/❯ Yes, I trust this folder/);

    // text is never typed: a word that is not an allowed key name is refused (HTTP 400, the CLI before any request)
    const text = await post(`${at}/keys`, { keys: ['Enter', 'yes'] });
    expect(text.status).toBe(400);
    expect(text.body).toMatchObject({ error: 'E_VALIDATION' });
    expect(JSON.stringify(text.body)).toMatch(/not an allowed key name: \\"yes\\"/);
    const cliText = await shoal('keys', run.id, 'manual', 'Enter; rm -rf ~');
    expect(cliText.code).not.toBe(0);
    expect(cliText.stderr).toMatch(/not an allowed key name/);
    expect(choices('manual')).toBe('');

    // choose by (part of a) label: the marker is already there, so Enter only; the trust menu gives way to the API-key menu
    const byLabel = await shoal('--json', 'choose', run.id, 'manual', 'trust this');
    expect(byLabel).toMatchObject({ code: 0 });
    expect(JSON.parse(byLabel.stdout) as TaskChooseReply).toMatchObject({ menu: { id: 'trust', selected: 2 }, chosen: { index: 2, label: 'Yes, I trust this folder' }, keys: ['Enter'], changed: true });
    await waitFor(() => choices('manual') === 'trust: Yes, I trust this folder\n', { what: 'the trust menu answered', timeoutMs: 10_000 });

    // an option that is not there: a clear error listing the options, nothing pressed
    const missing = await waitFor(
      async () => {
        const r = await post(`${at}/choose`, { option: 'maybe' });
        if (!String(r.body.message).includes('no option matches')) throw new Error(JSON.stringify(r));
        return r;
      },
      { what: 'the API-key menu read', timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(missing.status).toBe(409);
    expect(missing.body.message).toMatch(/no option matches "maybe"; options: 1\. Yes \| 2\. No \(recommended\)/);

    // choose by number: the marker moves up from "No (recommended)" to "Yes"
    const byNumber = await shoal('choose', run.id, 'manual', '1');
    expect(byNumber.code).toBe(0);
    expect(byNumber.stdout).toMatch(/^manual#1 on node-m: chose 1\. Yes on menu "api-key" of .*\(Up Enter\): screen changed/);
    await waitFor(() => choices('manual') === 'trust: Yes, I trust this folder\napi-key: Yes\n', { what: 'the API-key menu answered', timeoutMs: 10_000 });
    await agentState(run.id, 'manual', 'waiting-for-input');
    const noMenu = await post(`${at}/choose`, { option: 1 });
    expect(noMenu.status).toBe(409);
    expect(noMenu.body.message).toMatch(/no menu with options on screen/);

    // answers: { trust: yes, api-key: yes } passed both menus without anyone, each noted on the task's output
    await waitFor(() => choices('auto') === 'trust: Yes, I trust this folder\napi-key: Yes\n', { what: 'answers: chose on both menus', timeoutMs: 60_000 });
    await agentState(run.id, 'auto', 'waiting-for-input');
    const out = (await (await cluster.fetch(`${cluster.api}/runs/${run.id}/tasks/auto/logs`)).json()) as { text: string };
    expect(out.text).toMatch(/\[shoal\] menu "trust": answers chose 2\. Yes, I trust this folder \(Down Enter\)/);
    expect(out.text).toMatch(/\[shoal\] menu "api-key": answers chose 1\. Yes \(Up Enter\)/);

    expect((await cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' })).status).toBeLessThan(300);
    expect((await cluster.waitForRun(run.id, 60_000)).state).toBe('cancelled');
  }, 180_000);
});
