import { existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Disposables, waitFor } from '@shoal/testing';
import { readFinalTail, readTail } from '../../apps/node-agent/src/log-follower.js';
import { screenOutputLines, squeeze } from '../../apps/node-agent/src/logs/screen-end.js';
import { ROOT } from '../support/cluster.js';
import { tmuxWorkspace } from '../support/tmux.js';

/** Pids of the processes holding `file` open (here: pipe-pane's `cat >> log`). */
function holdersOf(file: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readdirSync(`/proc/${name}/fd`).some((fd) => readlinkSync(`/proc/${name}/fd/${fd}`) === file)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe('the final output tail when pipe-pane\'s reader stalls at exit (real tmux)', () => {
  const disposables = new Disposables();
  afterAll(() => disposables.disposeAll(), 60_000);

  it('keeps the last line the dead pane shows though the log never got it', async () => {
    const { dir, driver } = await tmuxWorkspace(disposables);
    const log = join(dir, 'run.e.1.log');
    const go = join(dir, 'go');
    await driver.ensureSession('Task-research');
    const script = `echo 'E: writing notes'; while [ ! -e "$1" ]; do sleep 0.05; done; echo 'E: done'`;
    const win = await driver.newWindow({ session: 'Task-research', window: 'Research-E', argv: ['sh', '-c', script, 'sh', go], logFile: log });
    disposables.add(() => driver.killWindow(win.windowId).catch(() => undefined));
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('E: writing notes'), { timeoutMs: 30_000, what: 'the first line in the log' });
    const readers = await waitFor(() => (holdersOf(log).length > 0 ? holdersOf(log) : undefined), { timeoutMs: 10_000, what: 'pipe-pane\'s cat holding the log' });
    for (const pid of readers) process.kill(pid, 'SIGSTOP');
    disposables.add(() => readers.forEach((pid) => process.kill(pid, 'SIGCONT')));
    writeFileSync(go, '');
    await driver.waitForExit(win.paneId);
    const screen = await driver.capturePane(win.paneId);
    expect(screen).toContain('E: done');
    const tail = await readFinalTail(log, screen);
    expect(readFileSync(log, 'utf8')).not.toContain('E: done');
    expect(tail.split('\n').filter((l) => l.trim() !== '')).toEqual(['E: writing notes', 'E: done']);
  }, 60_000);

  it.each(['claude-fresh-home.ansi', 'claude-session.ansi', 'codex-session.ansi.gz', 'gemini-session.ansi.gz'])(
    'a recorded real agent session (%s) replayed into a pane: the rendered log holds the dead pane\'s last line, nothing is appended',
    async (fixture) => {
      const { dir, driver } = await tmuxWorkspace(disposables);
      const raw = readFileSync(join(ROOT, 'libs/runtime/src/terminal/fixtures', fixture));
      const bytes = join(dir, 'session.ansi');
      writeFileSync(bytes, fixture.endsWith('.gz') ? gunzipSync(raw) : raw);
      const log = join(dir, 'run.agent.1.log');
      await driver.ensureSession('Task-replay');
      const win = await driver.newWindow({ session: 'Task-replay', window: 'Replay', argv: ['cat', bytes], logFile: log });
      await driver.waitForExit(win.paneId);
      const screen = await driver.capturePane(win.paneId);
      await driver.killWindow(win.windowId); // pipe-pane's cat reads to the end and exits
      await waitFor(() => holdersOf(log).length === 0, { timeoutMs: 30_000, what: 'pipe-pane\'s cat done with the log' });
      const complete = await readTail(log);
      expect(complete.length).toBeGreaterThan(100);
      // what readFinalTail waits for, when the dead screen shows output (a TUI may leave it blank: the log is then read once)
      const last = screenOutputLines(screen).at(-1);
      if (last !== undefined) expect(squeeze(complete)).toContain(squeeze(last).slice(-40));
      expect(await readFinalTail(log, screen)).toBe(complete); // nothing appended
    },
    60_000,
  );
});
