import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { renderTerminal, TerminalRenderer } from './terminal-renderer.js';

/**
 * Bytes recorded from real agent CLIs offline (scripts/agents-capture/record-logs.mjs: tmux
 * pipe-pane from the first byte, 200x50, scrubbed): claude 2.1.332, codex 0.169.0, gemini 0.61.0.
 */
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const recorded = (name: string): Buffer => {
  const bytes = readFileSync(join(FIXTURES, name));
  return name.endsWith('.gz') ? gunzipSync(bytes) : bytes;
};
const count = (text: string, what: string) => text.split(what).length - 1;

/** No escape character, no CSI or OSC leftovers such as `[?2004h`, `[>4m`, `]7501;`, `(B`. */
function expectNoDebris(text: string): void {
  expect(text).not.toMatch(/\u001b|\u0007|\r/);
  expect(text).not.toMatch(/\[[?>=<][0-9;]*[a-zA-Z]|\[[0-9;]+[mGHJKu]|\]\d+;|\(B/);
}

describe('rendering real agent sessions', () => {
  it('claude with a fresh HOME (exits at once): the error reads with its spaces', async () => {
    const bytes = recorded('claude-fresh-home.ansi');
    // before: the bytes hold the words apart by cursor moves only ("Unable\e[9Gto\e[12Gconnect")
    expect(bytes.toString('utf8')).not.toContain('Unable to connect');
    const text = await renderTerminal(bytes);
    expectNoDebris(text);
    expect(text).toContain(' Unable to connect to Anthropic services');
    expect(text).toContain(' Failed to connect to api.anthropic.com: EAI_AGAIN');
    expect(text).toContain(' Check your internet connection and network settings.');
    expect(text.split('\n')[0]).toBe('Welcome to Claude Code v2.1.332');
  });

  it('claude trust menu, API-key menu, a prompt, the offline retry, Escape, exit: the final screen once, no repaint repeated', async () => {
    const text = await renderTerminal(recorded('claude-session.ansi'));
    expectNoDebris(text);
    expect(text).toContain('Claude Code v2.1.332');
    expect(text).toContain("▎ Auto mode is now Claude Code's default permission mode.");
    expect(text).toContain('Resume this session with:');
    expect(text).toContain('claude --resume <uuid>');
    // the input box was repainted at every key and every retry: its rules and prompt appear once
    expect(count(text, '❯')).toBe(1);
    expect(text.split('\n').filter((l) => /^─{100,}$/.test(l))).toHaveLength(2);
  });

  it('claude at its trust menu (the log cut there): the menu reads like the screen', async () => {
    const bytes = recorded('claude-session.ansi');
    // the menu's last words are "Enter\e[9Gto\e[12Gconfirm ... cancel"
    const text = await renderTerminal(bytes.subarray(0, bytes.indexOf('confirm') + 120));
    expectNoDebris(text);
    expect(text).toContain(' Quick safety check: Is this a project you created or one you trust?');
    expect(text).toMatch(/^ {3}No, exit\n {3}Yes, I trust this folder$/m);
    expect(text).toContain(' Enter to confirm · Esc to cancel');
  });

  it('codex (alternate screen, cleared before it leaves): its last screen is kept, then what it printed after', async () => {
    const text = await renderTerminal(recorded('codex-session.ansi.gz'));
    expectNoDebris(text);
    expect(text).toContain('>_ OpenAI Codex (v0.169.0)');
    expect(text).toContain('› Say hello in one word');
    expect(text).toContain('■ Conversation interrupted - use /feedback if something went wrong');
    expect(text).toContain('Disconnected from this task. Any running work continues.');
    expect(count(text, 'Say hello in one word')).toBe(1);
    expect(text.indexOf('Conversation interrupted')).toBeLessThan(text.indexOf('Disconnected from this task'));
  });

  it('gemini (a trust menu, a restart, a cancelled turn, /quit): each screen once, blank runs cut', async () => {
    const bytes = recorded('gemini-session.ansi.gz');
    expect(bytes.length).toBeGreaterThan(100_000); // a spinner repainted for seconds
    const text = await renderTerminal(bytes);
    expectNoDebris(text);
    expect(text).toContain('Do you trust the files in this folder?');
    expect(text).toContain('Gemini CLI is restarting to apply the trust changes...');
    expect(text).toContain('> Say hello in one word');
    expect(text).toContain('ℹ Request cancelled.');
    expect(text).toContain('Agent powering down. Goodbye!');
    expect(count(text, 'Say hello in one word')).toBe(1);
    expect(count(text, 'Tips for getting started:')).toBe(2); // once per start: gemini restarts after the trust choice
    expect(text).not.toMatch(/\n\s*\n\s*\n\s*\n/);
    expect(text.split('\n').length).toBeLessThan(200);
  });

  /**
   * Replays a recording as the log follower reads it: about `read` bytes per tick, new lines every
   * tick, the changed screen every `every` ticks (standing for the quiet moments and the 10 s
   * rule), and at the end. A program is quiet between frames, never inside a synchronized update:
   * a read ending inside one runs on to its end.
   */
  async function live(bytes: Buffer, read: number, every: number): Promise<string> {
    const r = new TerminalRenderer();
    const lines: string[] = [];
    const [begin, end] = ['\u001b[?2026h', '\u001b[?2026l'];
    for (let at = 0, tick = 1; at < bytes.length; tick++) {
      let to = Math.min(bytes.length, at + read);
      const piece = bytes.subarray(at, to);
      if (piece.lastIndexOf(begin) > piece.lastIndexOf(end)) to = bytes.indexOf(end, to) < 0 ? bytes.length : bytes.indexOf(end, to) + end.length;
      await r.write(bytes.subarray(at, to));
      at = to;
      lines.push(...r.takeNewLines());
      if (tick % every === 0) lines.push(...r.takeScreenChanges());
    }
    lines.push(...r.takeScreenChanges(true));
    r.dispose();
    return lines.join('\n');
  }

  it('live: the claude screens stream one after the other (menus, the prompt, the retry, the exit), each a bounded number of times', async () => {
    // claude's menus wait for a key: the follower shows them in the quiet tick that follows
    const text = await live(recorded('claude-session.ansi'), 512, 1);
    expectNoDebris(text);
    for (const seen of ['Yes, I trust this folder', 'Detected a custom API key in your environment', '❯ Say hello in one word', 'Resume this session with:']) expect(text).toContain(seen);
    expect(text).toMatch(/Can't reach the API server — check your internet or DNS \(EAI_AGAIN\) · retrying in \ds · attempt \d\/10/);
    expect(count(text, 'Claude Code v2.1.332')).toBeLessThanOrEqual(4);
  });

  it('live: codex (frames in synchronized updates) shows whole frames only', async () => {
    const text = await live(recorded('codex-session.ansi.gz'), 4096, 2);
    expectNoDebris(text);
    for (const seen of ['Sign in another way', 'Use an OpenAI API key', '› Say hello in one word', 'Conversation interrupted', 'Disconnected from this task.']) expect(text).toContain(seen);
    expect(count(text, '>_ OpenAI Codex (v0.169.0)')).toBeLessThanOrEqual(8);
  });

  it('live: gemini through 200 KB of repaints gives a few hundred lines at most', async () => {
    const text = await live(recorded('gemini-session.ansi.gz'), 16 * 1024, 4);
    expectNoDebris(text);
    expect(text).toContain('Do you trust the files in this folder?');
    expect(text).toContain('Agent powering down. Goodbye!');
    expect(count(text, 'Say hello in one word')).toBeLessThanOrEqual(4);
    expect(text.split('\n').length).toBeLessThan(400);
  });
});
