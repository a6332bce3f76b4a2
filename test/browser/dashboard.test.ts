import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, findBinary, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type Browser, type Page, chromium } from 'playwright-core';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';

const exec = promisify(execFile);
/** Screenshots of this test (gitignored); the README's copies live in docs/img. */
const ARTIFACTS = join(ROOT, 'test/browser/artifacts');
const BROWSER_DEADLINE_MS = 60_000;

/** Three phases over two nodes: build (2 tasks) -> test (3) -> ship (1); a few seconds each. */
const SHORT_PLAN = `name: dashboard-demo
teams: [{ name: web }]
phases:
  - id: build
    tasks:
      - { id: compile, team: web, role: Builder, command: ["sh", "-c", "echo compile-marker; sleep 4"], requires: { pool: main } }
      - { id: assets, team: web, role: Designer, command: ["sh", "-c", "echo assets; sleep 3"], requires: { pool: main } }
  - id: test
    depends_on: [build]
    tasks:
      - { id: unit, team: web, role: Tester, command: ["sh", "-c", "sleep 5"], requires: { pool: main } }
      - { id: e2e, team: web, role: Browser, command: ["sh", "-c", "sleep 7"], requires: { pool: main } }
      - { id: lint, team: web, role: Linter, command: ["sh", "-c", "sleep 4"], requires: { pool: main } }
  - id: ship
    depends_on: [test]
    tasks:
      - { id: package, team: web, role: Shipper, command: ["sh", "-c", "sleep 2"], requires: { pool: main } }
`;

const FAKE_AGENT = join(ROOT, 'test/fixtures/fake-agent.mjs');
/** Draws claude's captured trust and API-key menus and follows Up/Down/Enter like the real CLI. */
const MENU_AGENT = join(ROOT, 'test/fixtures/menu-agent.mjs');
const CLAUDE_SCREENS = join(ROOT, 'apps/node-agent/src/presets/fixtures/claude');

/** Long tasks to watch on the overview and then cancel from the run page; `prompt` is an agent waiting for input. */
const longPlan = (dir: string) => `name: dashboard-long
teams: [{ name: ops }]
phases:
  - id: soak
    tasks:
      - { id: soak-a, team: ops, role: Soaker, command: ["sh", "-c", "echo capture-marker; sleep 300"], requires: { pool: main } }
      - { id: soak-b, team: ops, role: Watcher, command: ["sh", "-c", "sleep 300"], requires: { pool: main } }
      - { id: prompt, team: ops, role: Agent, command: ["${process.execPath}", "${FAKE_AGENT}", "${join(dir, 'agent-input.txt')}"], interactive: true, requires: { pool: main } }
`;

/**
 * The web dashboard in real headless Chromium against a real cluster (nats-server, the built
 * coordinator serving apps/dashboard/dist, three node-agents): it loads with a token from the
 * URL fragment, follows a run live, shows nodes and agents, and its buttons act.
 */
describe('web dashboard (headless Chromium, real cluster)', () => {
  const disposables = new Disposables();
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  let workDir: string;
  const pageErrors: string[] = [];
  const policyViolations: string[] = [];

  beforeAll(async () => {
    const executablePath = findBinary('chromium');
    if (!executablePath) throw new Error('Chromium is missing: the browser test needs Debian `chromium` (install it with `apt-get install -y chromium`); playwright-core drives it and downloads no browser');
    if (!existsSync(join(ROOT, 'apps/dashboard/dist/index.html'))) throw new Error('apps/dashboard/dist is missing: run `npm run build` first');
    mkdirSync(ARTIFACTS, { recursive: true });
    const dir = tempDir('shoal-dashboard-');
    disposables.add(() => dir.dispose());
    workDir = dir.path;
    const sockets = ['a', 'b', 'c'].map(() => tmuxSocket());
    for (const s of sockets) disposables.add(() => s.dispose());
    cluster = await startCluster(
      [
        { nodeId: 'node-a', tmuxSocket: sockets[0]!.name, dataDir: join(dir.path, 'node-a'), labels: 'pool=main' },
        { nodeId: 'node-b', tmuxSocket: sockets[1]!.name, dataDir: join(dir.path, 'node-b'), labels: 'pool=main' },
        // the host CPU band drawn on its card; no task of the test is placed here, so a busy host
        // (the band stops admission above 60%) cannot hold the test's runs up
        { nodeId: 'node-c', tmuxSocket: sockets[2]!.name, dataDir: join(dir.path, 'node-c'), labels: 'pool=spare', env: { SHOAL_CPU_BAND: '40-60' } },
      ],
      disposables,
    );
    browser = await chromium.launch({ executablePath, headless: true });
    disposables.add(() => browser.close());
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.setDefaultTimeout(BROWSER_DEADLINE_MS);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) policyViolations.push(m.text());
      if (process.env.DEBUG_DASHBOARD) process.stdout.write(`[browser ${m.type()}] ${m.text()}\n`);
    });
    page.on('dialog', (d) => void d.accept());
  }, 240_000);

  afterAll(() => disposables.disposeAll(), 120_000);

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });

  it('serves the page and its assets without a token, and keeps the data API behind one', async () => {
    const html = await fetch(`${cluster.api}/`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(await html.text()).toContain('/assets/main.js');
    const js = await fetch(`${cluster.api}/assets/main.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${cluster.api}/assets/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${cluster.api}/events`)).status).toBe(401);
    expect((await fetch(`${cluster.api}/runs`)).status).toBe(401);
  });

  it('asks for a token, then loads with one from the URL fragment (the link of `shoal dashboard --with-token`) and keeps it out of the address bar', async () => {
    await page.goto(`${cluster.api}/`);
    await page.locator('form.sign-in').waitFor();
    const cli = await exec(process.execPath, [join(ROOT, 'apps/cli/dist/main.js'), '--api', cluster.api, 'dashboard', '--with-token'], { env: { ...process.env, SHOAL_TOKEN: cluster.token } });
    const link = cli.stdout.trim();
    expect(link).toBe(`${cluster.api}/#token=${encodeURIComponent(cluster.token)}`);
    await page.goto(link);
    await page.locator('#runs').waitFor();
    await page.locator('[data-node="node-c"]').waitFor();
    expect(new URL(page.url()).hash).toBe('#/');
    expect(await page.evaluate(() => sessionStorage.getItem('shoal.token'))).toBe(cluster.token);
    await page.locator('#runs .live.on').waitFor();
  });

  it('follows a run live: a task moves to succeeded without a reload; phase graph and Gantt drawn', async () => {
    const run = await cluster.submit(SHORT_PLAN);
    await page.goto(`${cluster.api}/#/runs/${run.id}`);
    await page.evaluate(() => ((window as unknown as { loadMarker: string }).loadMarker = 'same page'));
    const compileRow = (state: string) => page.locator(`tr[data-task="compile"][data-state="${state}"]`);
    await compileRow("running").waitFor({ timeout: 90_000 });
    await page.locator('.gantt .bar[data-task="compile"]').waitFor();
    // the live picture for the README: bars growing across both nodes
    await page.locator('.gantt .bar[data-task="e2e"][data-state="running"]').waitFor({ timeout: 90_000 });
    // for the picture only (not a check): a finished test-phase task next to running ones, when the timing allows
    await page.locator('tr[data-task="lint"][data-state="succeeded"]').waitFor({ timeout: 10_000 }).catch(() => undefined);
    await shot('run-live.png');
    await compileRow("succeeded").waitFor({ timeout: 90_000 });
    await page.locator(`.run-page[data-run="${run.id}"] .panel h2 [data-state="succeeded"]`).waitFor({ timeout: 120_000 });
    expect(await page.evaluate(() => (window as unknown as { loadMarker?: string }).loadMarker)).toBe('same page');
    expect(await page.locator('.phase-graph [data-phase]').count()).toBe(3);
    expect(await page.locator('.phase-graph [data-phase="ship"]').getAttribute('data-state')).toBe('succeeded');
    const nodesUsed = await page.locator('.gantt .row-label').allTextContents();
    expect(nodesUsed.length).toBeGreaterThanOrEqual(1);
    expect((await cluster.get(run.id)).state).toBe('succeeded');
    await shot('run-finished.png');

    await page.locator('tr[data-task="compile"] a').click();
    await page.locator('[data-testid="log-tail"]', { hasText: 'compile-marker' }).waitFor({ timeout: 30_000 });
    await shot('task-finished.png');
  });

  it('shows a new run live, the agent waiting for input on top, nodes with their charts, a task screen; sends a message; cancels the run', async () => {
    await page.goto(`${cluster.api}/#/`);
    await page.locator('#runs .live.on').waitFor();
    const run = await cluster.submit(longPlan(workDir));
    // submitted after the page loaded: it comes through GET /events
    await page.locator(`#runs tr[data-run="${run.id}"]`).waitFor({ timeout: 30_000 });
    await page.locator(`#agents tr[data-agent="${run.id}/soak-a"]`).waitFor({ timeout: 90_000 });
    await page.locator(`#agents tr[data-agent="${run.id}/soak-b"]`).waitFor({ timeout: 30_000 });
    // the fake agent shows its prompt: waiting for input, so it needs the operator and is listed first
    await page.locator(`#agents tr.needs-you[data-agent="${run.id}/prompt"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator('#agents tbody tr').first().getAttribute('data-agent')).toBe(`${run.id}/prompt`);
    expect(await page.locator('#agents .needs-count').textContent()).toBe('1 needs you');
    await waitFor(async () => (await page.locator('[data-node="node-c"]').getAttribute('data-samples')) !== null && Number(await page.locator('[data-node="node-c"]').getAttribute('data-samples')) >= 8, {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: 'eight node samples charted',
    });
    expect(await page.locator('[data-node="node-c"] .band').textContent()).toContain('40–60%');
    expect(await page.locator('[data-node="node-a"] canvas').count()).toBeGreaterThanOrEqual(2);
    await shot('overview.png');
    await page.goto(`${cluster.api}/#/nodes`);
    await page.locator('[data-node="node-c"] canvas').first().waitFor();
    await waitFor(async () => Number(await page.locator('[data-node="node-a"]').getAttribute('data-samples')) >= 2, { timeoutMs: 30_000, intervalMs: 500, what: 'node samples on the nodes page' });
    await shot('nodes.png');

    await page.goto(`${cluster.api}/#/runs/${run.id}/tasks/soak-a`);
    await page.locator('[data-testid="capture"]', { hasText: 'capture-marker' }).waitFor({ timeout: 30_000 });
    await shot('task-running.png');

    await page.goto(`${cluster.api}/#/runs/${run.id}/tasks/prompt`);
    await page.locator('form.send input:not([disabled])').fill('hello from the dashboard');
    await page.locator('form.send button[type="submit"]').click();
    await page.locator('[data-testid="capture"]', { hasText: 'ok 1: hello from the dashboard' }).waitFor({ timeout: 30_000 });
    await shot('task-agent.png');

    await page.goto(`${cluster.api}/#/runs/${run.id}`);
    await page.locator('tr[data-task="soak-a"][data-state="running"]').waitFor();
    await page.locator('[data-testid="cancel-run"]').click();
    await page.locator(`.run-page[data-run="${run.id}"] .panel h2 [data-state="cancelled"]`).waitFor({ timeout: 60_000 });
    expect((await cluster.get(run.id)).state).toBe('cancelled');
    await page.locator('tr[data-task="soak-a"][data-state="cancelled"]').waitFor({ timeout: 60_000 });
    await shot('run-cancelled.png');
  });

  it('retries a task awaiting an operator from its row; the Gantt keeps both attempts', async () => {
    const marker = join(workDir, 'flaky-once');
    const run = await cluster.submit(`name: dashboard-retry
teams: [{ name: ops }]
phases:
  - id: fix
    failure_policy: manual
    tasks:
      - { id: flaky, team: ops, role: Fixer, command: ["sh", "-c", "if [ -e '${marker}' ]; then echo fixed; else touch '${marker}'; exit 1; fi"], requires: { pool: main } }
`);
    await page.goto(`${cluster.api}/#/runs/${run.id}`);
    await page.locator('tr[data-task="flaky"][data-state="awaiting-operator"]').waitFor({ timeout: 90_000 });
    await page.locator('[data-testid="retry-flaky"]').click();
    await page.locator(`.run-page[data-run="${run.id}"] .panel h2 [data-state="succeeded"]`).waitFor({ timeout: 90_000 });
    expect(await page.locator('tr[data-task="flaky"] td').nth(5).textContent()).toMatch(/^2\//);
    // attempt 1 (seen failing while the page was open) and attempt 2
    await waitFor(async () => (await page.locator('.gantt .bar[data-task="flaky"]').count()) === 2, { timeoutMs: 10_000, what: 'two Gantt bars of the retried task' });
    expect(await cluster.get(run.id)).toMatchObject({ state: 'succeeded', tasks: [{ id: 'flaky', state: 'succeeded', attempt: 2 }] });
    await shot('run-retried.png');
  });

  it("answers an agent's menu from the task page: a key button, a refused option listing the options, options chosen by label; the agent leaves the menu", async () => {
    const choices = join(workDir, 'menu.choices');
    const run = await cluster.submit(`name: dashboard-menu
teams: [{ name: ops }]
phases:
  - id: p
    tasks:
      - { id: trusty, team: ops, role: Agent, agent: claude, command: ["${process.execPath}", "${MENU_AGENT}", "${CLAUDE_SCREENS}", "${choices}"], requires: { pool: main } }
`);
    await page.goto(`${cluster.api}/#/runs/${run.id}/tasks/trusty`);
    const reply = page.locator('[data-testid="menu-reply"]');
    const choose = async (option: string) => {
      await page.locator('form.choose input:not([disabled])').fill(option);
      await page.locator('form.choose button[type="submit"]:not([disabled])').click();
    };
    // the claude preset reads the trust menu: the panel is highlighted
    await page.locator('[data-testid="agent-state"] [data-state="menu"]').waitFor({ timeout: 90_000 });
    await page.locator('.menu-answer.in-menu').waitFor();
    await page.locator('.menu-keys button[data-key="Down"]:not([disabled])').click();
    await reply.filter({ hasText: 'pressed Down: the screen changed' }).waitFor({ timeout: 30_000 });
    await choose('maybe');
    await reply.filter({ hasText: 'choose refused (409)' }).filter({ hasText: '1. No, exit | 2. Yes, I trust this folder' }).waitFor({ timeout: 30_000 });
    await choose('trust this');
    await reply.filter({ hasText: /^chose 2\. Yes, I trust this folder .*: the screen changed$/ }).waitFor({ timeout: 30_000 });
    await shot('task-menu.png');
    // then claude's API-key menu; choosing its "Yes" brings the input box: waiting for input
    await choose('Yes');
    await reply.filter({ hasText: /^chose 1\. Yes .*: the screen changed$/ }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="agent-state"] [data-state="waiting-for-input"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('.menu-answer.in-menu').count()).toBe(0);
    expect(readFileSync(choices, 'utf8')).toBe('trust: Yes, I trust this folder\napi-key: Yes\n');
    await cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' });
  });

  it('stops every agent with Stop all (after a confirmation)', async () => {
    const run = await cluster.submit('name: dashboard-stop\nteams: [{ name: ops }]\nphases:\n  - id: p\n    tasks:\n      - { id: victim, team: ops, role: Victim, command: ["sleep", "300"], requires: { pool: main } }\n');
    await page.goto(`${cluster.api}/#/`);
    const row = page.locator(`#agents tr[data-agent="${run.id}/victim"]`);
    await row.waitFor({ timeout: 90_000 });
    const dialogs: string[] = [];
    page.once('dialog', (d) => void dialogs.push(d.message()));
    await page.locator('[data-testid="stop-all"]').click();
    await page.locator('.toast', { hasText: 'stop-all sent to every node' }).waitFor({ timeout: 30_000 });
    expect(dialogs[0]).toContain('Stop every task on every node');
    await waitFor(async () => {
      const nodes = (await (await cluster.fetch(`${cluster.api}/nodes`)).json()) as { running: { runId: string }[] }[];
      return nodes.every((n) => !n.running.some((r) => r.runId === run.id));
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'no node running the victim' });
    await row.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('renders the analytics page, or says clearly that the coordinator has none', async () => {
    await page.goto(`${cluster.api}/#/analytics`);
    const report = page.locator('[data-testid="stat-runs"]');
    const missing = page.locator('[data-testid="analytics-missing"]');
    await report.or(missing).waitFor({ timeout: 30_000 });
    const answer = await cluster.fetch(`${cluster.api}/analytics?since=7d`);
    if (answer.status === 404) expect(await missing.textContent()).toContain('404');
    else expect(Number((await report.locator('.value').textContent()) ?? 'NaN')).toBeGreaterThanOrEqual(2);
    await shot('analytics.png');
    expect(pageErrors).toEqual([]);
    expect(policyViolations).toEqual([]);
  });

  it('lets the coordinator stop on SIGTERM while the page follows the fleet and a running run, and shows it went offline', async () => {
    const run = await cluster.submit('name: dashboard-hold\nteams: [{ name: ops }]\nphases:\n  - id: hold\n    tasks:\n      - { id: hold, team: ops, role: Holder, command: ["sleep", "300"], requires: { pool: main } }\n');
    await page.goto(`${cluster.api}/#/runs/${run.id}`);
    await page.locator('tr[data-task="hold"][data-state="running"]').waitFor({ timeout: 90_000 });
    await page.locator('.run-page .live.on').waitFor();
    // open GET /events and GET /runs/:id/events must not hold the HTTP server's close (the harness SIGKILLs after the deadline)
    const exit = await cluster.coordinator.stop('SIGTERM', 30_000);
    // Known open bug (see the closing note of issue 11): on some CI runs the HTTP server's close still
    // waits for a connection after every event stream was ended; the coordinator then ends its
    // shutdown after 20 s by itself. Shown here, not failed on, until it is understood.
    const tail = cluster.coordinator.outputTail(3000);
    if (/shutdown still not done|drain not done/.test(tail)) console.info(`coordinator shutdown overran:\n${tail.split('\n').filter((l) => !/RouterExplorer|RoutesResolver/.test(l)).slice(-30).join('\n')}`);
    expect(exit).toEqual({ code: 0, signal: null });
    await page.locator('.run-page .live:not(.on)').waitFor({ timeout: 30_000 });
  });
});
