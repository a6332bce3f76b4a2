import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, type TmuxSocket, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import type { RunView } from '@shoal/protocol';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';

const exec = promisify(execFile);
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const FAKE_AGENT = join(ROOT, 'test/fixtures/fake-agent.mjs');
/** Screens captured by the test (kept for a look; not in git). */
const ARTIFACTS = join(ROOT, 'test/e2e/artifacts');
const disposables = new Disposables();
let cluster: TestCluster;
let dir: string;
let run: RunView;
/** The terminal the operator looks at: its own tmux server, 80x24. */
let term: TmuxSocket;

beforeAll(async () => {
  const d = tempDir();
  disposables.add(() => d.dispose());
  dir = d.path;
  const nodeTmux = tmuxSocket();
  disposables.add(() => nodeTmux.dispose());
  term = tmuxSocket();
  disposables.add(() => term.dispose());
  cluster = await startCluster([{ nodeId: 'mon-node', tmuxSocket: nodeTmux.name, dataDir: join(dir, 'mon-node'), env: { SHOAL_CPU_BAND: 'off' } }], disposables);
  run = await cluster.submit(`
name: watched
teams: [{ name: w }]
phases:
  - id: long
    tasks:
      - { id: longtask, team: w, role: Long, command: ["sleep", "600"], resources: { cpu: 5, memory: 256 } }
      - { id: asks, team: w, role: Asks, command: ["${process.execPath}", "${FAKE_AGENT}", "${join(dir, 'input.txt')}"], interactive: true, resources: { cpu: 5, memory: 256 } }
`);
  disposables.add(() => cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' }).catch(() => undefined));
  await waitFor(async () => (await cluster.get(run.id)).tasks.every((t) => t.state === 'running'), { timeoutMs: 60_000, what: 'both tasks to run' });
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

/**
 * Starts `shoal <args>` in an 80x24 pane of the operator's tmux; once it exits, the pane records
 * its exit code and the terminal's settings (`stty -a`) in files, then stays open.
 */
async function inTerminal(session: string, args: string[]): Promise<{ pane: () => Promise<string>; exitFile: string; sttyFile: string }> {
  const exitFile = join(dir, `${session}.exit`);
  const sttyFile = join(dir, `${session}.stty`);
  const script = join(dir, `${session}.sh`);
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  writeFileSync(
    script,
    `#!/bin/sh\necho "before the command"\n"${process.execPath}" "${CLI}" --api "${cluster.api}" ${quoted}\necho $? > "${exitFile}.tmp"\nstty -a > "${sttyFile}"\nmv "${exitFile}.tmp" "${exitFile}"\nexec sleep 600\n`,
  );
  await term.tmux(['new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', `SHOAL_TOKEN=${cluster.token}`, '-e', 'TERM=xterm-256color', 'sh', script]);
  const pane = async () => (await term.tmux(['capture-pane', '-p', '-t', `${session}:0.0`])).stdout;
  return { pane, exitFile, sttyFile };
}

const paneFlag = async (session: string, format: string) => (await term.tmux(['display-message', '-p', '-t', `${session}:0.0`, format])).stdout.trim();
const exists = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

describe('shoal monitor in a real terminal', () => {
  it.each([
    ['q', 'q'],
    ['Ctrl-C', 'C-c'],
  ])('shows the node and the running task, and %s quits with 0 and gives the terminal back', async (_name, key) => {
    const session = `mon-${key === 'q' ? 'q' : 'cc'}`;
    const t = await inTerminal(session, ['monitor', '--refresh', '500']);
    await waitFor(
      async () => {
        const text = await t.pane();
        return /mon-node\s+alive\s+\[/.test(text) && /longtask#1\s+working/.test(text) && /asks#1\s+waiting-for-input/.test(text) && /\blive\b/.test(text);
      },
      { timeoutMs: 30_000, what: 'the monitor showing mon-node, longtask#1 working and asks#1 waiting, its event stream open' },
    );
    const screen = (await t.pane()).replace(/\n$/, '').split('\n');
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, `monitor-80x24-${session}.txt`), `${screen.join('\n')}\n`);
    const agents = screen.findIndex((l) => l.startsWith('AGENTS'));
    expect(screen[agents + 1]).toMatch(/^! asks#1\s+waiting-for-input/); // needs you: first
    expect(screen.length).toBeLessThanOrEqual(24);
    for (const l of screen) expect(l.length).toBeLessThanOrEqual(80);
    expect(screen.join('\n')).not.toContain('before the command'); // drawn on the alternate screen
    expect(await paneFlag(session, '#{alternate_on} #{cursor_flag}')).toBe('1 0');

    await term.tmux(['send-keys', '-t', `${session}:0.0`, key]);
    await waitFor(() => exists(t.exitFile) !== undefined, { timeoutMs: 15_000, what: `the monitor to exit on ${key}` });
    expect(exists(t.exitFile)!.trim()).toBe('0');
    const stty = exists(t.sttyFile)!;
    expect(stty).toMatch(/(^|\s)icanon(\s|$)/);
    expect(stty).toMatch(/(^|\s)echo(\s|$)/);
    // tmux reads the pane's output on its own schedule: wait for it to have drawn the last bytes
    await waitFor(async () => (await paneFlag(session, '#{alternate_on} #{cursor_flag}')) === '0 1', { timeoutMs: 10_000, what: 'the main screen back with the cursor shown' });
    expect(await t.pane()).toContain('before the command'); // the main screen is back as it was
  }, 60_000);

  it('`shoal monitor --once` prints one 80x24 frame without terminal control', async () => {
    const once = async () => (await exec(process.execPath, [CLI, '--api', cluster.api, 'monitor', '--once'], { env: { ...process.env, SHOAL_TOKEN: cluster.token } })).stdout;
    let stdout = '';
    await waitFor(async () => /needs you 1/.test((stdout = await once())), { timeoutMs: 30_000, what: 'a frame counting the waiting agent' });
    const lines = stdout.replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(stdout).not.toMatch(/\u001b/);
    expect(stdout).toMatch(/mon-node\s+alive\s+\[[#.|]{22}\]\s+\d+% mem /);
    expect(stdout).toMatch(new RegExp(`longtask#1\\s+working \\d+s\\s+mon-node\\s+${run.id}`));
  }, 30_000);
});

describe('shoal run --follow on a terminal', () => {
  it('draws a progress bar per phase in place, with the ETA of the kinds it learned', async () => {
    const plan = join(dir, 'bars.yaml');
    writeFileSync(
      plan,
      `
name: bars
teams: [{ name: b }]
phases:
  - id: one
    tasks:
      - { id: x, team: b, role: X, command: ["sh", "-c", "sleep 3"], resources: { cpu: 5, memory: 256 } }
  - id: two
    depends_on: [one]
    tasks:
      - { id: y, team: b, role: Y, command: ["sh", "-c", "sleep 3"], resources: { cpu: 5, memory: 256 } }
`,
    );
    // a first run teaches the coordinator how long these kinds take
    const learn = await exec(process.execPath, [CLI, '--api', cluster.api, 'run', plan, '--follow'], { env: { ...process.env, SHOAL_TOKEN: cluster.token } });
    expect(learn.stdout).toMatch(/run succeeded/);
    await waitFor(async () => Object.keys((await (await cluster.fetch(`${cluster.api}/estimates`)).json()) as object).some((k) => k.startsWith('b/')), {
      timeoutMs: 15_000,
      what: 'learned estimates of the bars tasks',
    });

    const t = await inTerminal('follow', ['run', plan, '--follow']);
    await waitFor(async () => /^(one|two)\s+\[[#.]+\]\s+0\/1 \d+s ETA \d+s \(1 running\)$/m.test(await t.pane()), { timeoutMs: 60_000, what: 'a running phase bar with its ETA' });
    await waitFor(() => exists(t.exitFile) !== undefined, { timeoutMs: 60_000, what: 'shoal run --follow to end' });
    expect(exists(t.exitFile)!.trim()).toBe('0');
    const screen = await t.pane();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'follow-tty-80x24.txt'), screen);
    expect(screen).toMatch(/task x#1 running on mon-node/);
    expect(screen).toMatch(/^one\s+\[#+\]\s+1\/1 succeeded in \d+s$/m);
    expect(screen).toMatch(/^two\s+\[#+\]\s+1\/1 succeeded in \d+s$/m);
    expect(screen.match(/^one\s+\[/gm)).toHaveLength(1); // redrawn in place, not repeated
  }, 120_000);
});
