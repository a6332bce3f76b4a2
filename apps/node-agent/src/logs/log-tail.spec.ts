import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor } from '@shoal/testing';
import { LogFollower, readFinalTail, readTail } from '../log-follower.js';
import { cleanStart, readLogEnd } from './log-tail.js';
import { readLogTail } from './log-rotation.js';

/** Bytes real claude 2.1.332 wrote with a fresh HOME, offline (libs/runtime/src/terminal/fixtures). */
const CLAUDE = readFileSync(new URL('../../../../libs/runtime/src/terminal/fixtures/claude-fresh-home.ansi', import.meta.url));

/** Runs `body` with a started LogFollower on an empty log in a temp dir (ticks of `intervalMs`), and removes the dir after. */
async function following(intervalMs: number, maxBatchBytes: number | undefined, body: (f: { log: string; streamed: string[]; follower: LogFollower }) => Promise<void>): Promise<void> {
  const dir = tempDir();
  try {
    const log = join(dir.path, 'r.t.1.log');
    writeFileSync(log, '');
    const streamed: string[] = [];
    const follower = new LogFollower(log, (t) => streamed.push(t), intervalMs, maxBatchBytes);
    follower.start();
    await body({ log, streamed, follower });
  } finally {
    await dir.dispose();
  }
}

describe('task log tails and the live stream, rendered', () => {
  it('a tail cut inside an escape sequence starts at the next clean point', () => {
    expect(cleanStart(Buffer.from('2;3Hrest\u001b[1mbold'))).toBe(8);
    expect(cleanStart(Buffer.from('partial line\nnext'))).toBe(13);
    expect(cleanStart(Buffer.from('no clean point'))).toBe(0);
  });

  it('the final tail waits for the log to catch up with the dead pane\'s last line (pipe-pane\'s cat may lag at exit)', async () => {
    const dir = tempDir();
    try {
      const log = join(dir.path, 'late.log');
      writeFileSync(log, 'first line\r\n');
      const screen = 'first line\nslow   done\n\nPane is dead (status 0, Sun Nov 29 15:00:00 2026)';
      let reads = 0;
      const clock = () => {
        if (++reads === 3) appendFileSync(log, 'slow done\r\n'); // the late writer, on the third look
        return 0;
      };
      const tail = await readFinalTail(log, screen, 4096, clock);
      expect(tail).toContain('slow done');
      expect(reads).toBeGreaterThanOrEqual(3);
    } finally {
      await dir.dispose();
    }
  });

  it('the final tail is read once without a screen, and completed from the screen at the deadline when the line never comes', async () => {
    const dir = tempDir();
    try {
      const log = join(dir.path, 'never.log');
      writeFileSync(log, 'only this\r\n');
      expect(await readFinalTail(log, undefined)).toContain('only this');
      expect(await readFinalTail(log, 'Pane is dead (status 1, Sun Nov 29 15:00:00 2026)')).toContain('only this');
      let t = 0;
      const clock = () => (t += 1500); // the 2 s deadline passes on the second look
      expect(await readFinalTail(log, 'never written', 4096, clock)).toBe('only this\nnever written');
      expect(t).toBeLessThanOrEqual(4500);
    } finally {
      await dir.dispose();
    }
  });

  it('readLogTail gives the bytes as recorded, readTail the text a person reads', async () => {
    const dir = tempDir();
    try {
      const log = join(dir.path, 'r.t.1.log');
      writeFileSync(log, CLAUDE);
      expect(await readLogTail(log, 1 << 20)).toBe(CLAUDE.toString('utf8'));
      const cut = await readLogEnd(log, 300);
      expect(cut.length).toBeLessThanOrEqual(300);
      // starts right before an ESC, or right after a new line
      expect(cut[0] === 0x1b || CLAUDE[CLAUDE.length - cut.length - 1] === 0x0a).toBe(true);
      const text = await readTail(log, 4096);
      expect(text).toContain('Unable to connect to Anthropic services');
      expect(text).not.toMatch(/\u001b|\[\?|\[>/);
    } finally {
      await dir.dispose();
    }
  });

  it('readLogTail shortens an escape-heavy tail from the front until it fits a control reply', async () => {
    const dir = tempDir();
    try {
      const log = join(dir.path, 'r.t.1.log');
      const frame = '\u001b[?2026h\u001b[1;1H\u001b[2K\u001b[38;5;1mx\u001b[39m\u001b[?2026l\r\n';
      writeFileSync(log, frame.repeat(Math.ceil((256 * 1024) / frame.length)));
      const tail = await readLogTail(log, 256 * 1024);
      expect(Buffer.byteLength(JSON.stringify(tail))).toBeLessThanOrEqual(192 * 1024);
      expect(tail.length).toBeGreaterThan(64 * 1024);
      expect(tail.startsWith('\u001b[')).toBe(true);
      expect(readFileSync(log, 'utf8').endsWith(tail)).toBe(true);
    } finally {
      await dir.dispose();
    }
  });

  it('LogFollower streams readable lines while the file grows, each once, and the rest of the screen at stop', async () => {
    await following(20, 512, async ({ log, streamed, follower }) => {
      appendFileSync(log, CLAUDE.subarray(0, 700));
      await waitFor(() => streamed.join('').includes('Welcome to Claude Code v2.1.332'), { what: 'the first line streamed', timeoutMs: 20_000 });
      appendFileSync(log, CLAUDE.subarray(700));
      await waitFor(() => streamed.join('').includes('Unable to connect to Anthropic services'), { what: 'the error streamed', timeoutMs: 20_000 });
      await follower.stop();
      const text = streamed.join('');
      expect(text).toContain('Check your internet connection and network settings.');
      expect(text.split('Welcome to Claude Code')).toHaveLength(2);
      expect(text).not.toMatch(/\u001b|\[\?|\[>|\]7501/);
    });
  });

  it('LogFollower shows a countdown\'s last value once due though the output went quiet, and any other change at once', async () => {
    await following(10, undefined, async ({ log, streamed, follower }) => {
      const frame = (s: number) => `\u001b[H\u001b[2JCannot reach the API\r\nretrying in ${s}s\r\n`;
      appendFileSync(log, frame(9));
      await waitFor(() => streamed.join('').includes('retrying in 9s'), { what: 'the first frame streamed', timeoutMs: 20_000 });
      appendFileSync(log, frame(8) + frame(7));
      // nothing more is written: the held-back value still comes, within 20 ticks
      await waitFor(() => streamed.join('').includes('retrying in 7s'), { what: 'the last value streamed without more output', timeoutMs: 20_000 });
      appendFileSync(log, `\u001b[H\u001b[2JCannot reach the API\r\ngave up\r\n`);
      await waitFor(() => streamed.join('').includes('gave up'), { what: 'a real change streamed', timeoutMs: 20_000 });
      await follower.stop();
      expect(streamed.join('').match(/Cannot reach the API/g)).toHaveLength(1); // the header row never changed
    });
  });
});
