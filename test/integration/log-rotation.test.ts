import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, waitFor } from '@shoal/testing';
import { LogFollower } from '../../apps/node-agent/src/log-follower.js';
import { readLogTail } from '../../apps/node-agent/src/logs/index.js';
import { tmuxWorkspace } from '../support/tmux.js';

/**
 * Prints numbered 95-byte lines quickly, forever: ten lines, then a 10 ms pause (two forks per line
 * made it too slow on a loaded machine; none at all outran the follower before its first read).
 */
const CHATTY = 'd=$(printf "%080d" 0 | tr 0 .); i=0; while :; do i=$((i+1)); printf "line %08d %s\\n" "$i" "$d"; [ $((i % 10)) -eq 0 ] && sleep 0.01; done';

describe('task log rotation by size (real tmux pipe-pane)', () => {
  const disposables = new Disposables();
  afterAll(() => disposables.disposeAll(), 60_000);

  it('copy-truncate keeps at most `keep` rotated files, pipe-pane keeps appending at the start, and the tail reads across', async () => {
    const { dir, driver } = await tmuxWorkspace(disposables);
    const log = join(dir, 'run.task.1.log');
    await driver.ensureSession('Task-logs');
    const win = await driver.newWindow({ session: 'Task-logs', window: 'Chatty', argv: ['sh', '-c', CHATTY], logFile: log });
    disposables.add(() => driver.killWindow(win.windowId).catch(() => undefined));
    const streamed: string[] = [];
    const follower = new LogFollower(log, (t) => streamed.push(t), 100, 16 * 1024, { maxBytes: 64 * 1024, keep: 2 });
    follower.start();
    try {
      await waitFor(() => existsSync(`${log}.2`), { timeoutMs: 60_000, what: 'two rotations' });
      await waitFor(() => statSync(`${log}.1`).mtimeMs > statSync(`${log}.2`).mtimeMs && statSync(log).size > 0, { timeoutMs: 60_000, what: 'a third rotation and fresh output' });
    } finally {
      await follower.stop();
      await driver.killWindow(win.windowId).catch(() => undefined);
    }
    expect(existsSync(`${log}.3`)).toBe(false);
    for (const f of [`${log}.1`, `${log}.2`]) expect(statSync(f).size).toBeGreaterThanOrEqual(64 * 1024);
    const live = readFileSync(log);
    expect(live.subarray(0, 64).includes(0)).toBe(false);
    const tail = await readLogTail(log, 256 * 1024);
    expect(tail.length).toBeGreaterThan(live.length);
    const numbers = [...tail.matchAll(/^line (\d{8})/gm)].map((m) => Number(m[1]));
    expect(numbers.length).toBeGreaterThan(100);
    expect(numbers.at(-1)).toBeGreaterThan(numbers[0]!);
    expect(streamed.join('')).toMatch(/line 0000000\d/);
  }, 180_000);
});
