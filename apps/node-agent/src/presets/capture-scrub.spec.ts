/**
 * The pure parts of the capture script (scripts/agents-capture/scrub.mjs): scrubbing a captured
 * screen of machine-specific text, and deciding when a screen has settled.
 */
// @ts-expect-error: a plain ES module of the capture script, without types
import { scrubScreen, SettleWatch, settleKey, trimScreen } from '../../../../scripts/agents-capture/scrub.mjs';

describe('scrubScreen', () => {
  const where = { repo: '/root/.cache/cap/claude-x/repo', home: '/root/.cache/cap/claude-x/home', userHome: '/root', install: '/root/agent-clis/claude', host: 'box-4711' };

  it('replaces the scratch repo, the scratch HOME, the install dir and the user home, longest first', () => {
    const screen = [' ▝▝   ▝▝   /root/.cache/cap/claude-x/repo', 'Read /root/.cache/cap/claude-x/home/.claude.json', 'rg at /root/agent-clis/claude/vendor/rg', 'in /root/other'].join('\n');
    expect(scrubScreen(screen, where)).toBe([' ▝▝   ▝▝   <repo>', 'Read ~/.claude.json', 'rg at <install>/vendor/rg', 'in ~/other', ''].join('\n'));
  });

  it('replaces the host name, dates, UUIDs and session ids', () => {
    const screen = 'on box-4711 at 2026-11-29T03:29:58Z\nPane is dead (status 1, Sun Nov 29 03:29:58 2026)\n  codex resume 019a7c2e-1b2c-7d3e-8f40-0123456789ab\nopencode -s ses_4f8a9b0c1d2e3f4a';
    expect(scrubScreen(screen, where)).toBe('on <host> at <date>\nPane is dead (status 1, <date>)\n  codex resume <uuid>\nopencode -s ses_<id>\n');
  });

  it('leaves words that merely contain the user name alone', () => {
    expect(scrubScreen('ensure that the project root is trusted', { ...where, host: undefined })).toBe('ensure that the project root is trusted\n');
  });
});

describe('trimScreen', () => {
  it('drops trailing spaces and trailing blank lines, keeps blank lines inside', () => {
    expect(trimScreen('a  \n\nb \n\n   \n')).toBe('a\n\nb\n');
  });
});

describe('SettleWatch', () => {
  it('settles once the screen is unchanged for the window, ignoring spinners and counters', () => {
    const w = new SettleWatch(2_000);
    expect(w.feed('⠋ Thinking... (3s)', 0)).toBe(false);
    expect(w.feed('⠙ Thinking... (4s)', 1_999)).toBe(false);
    expect(w.feed('⠹ Thinking... (5s)', 2_000)).toBe(true);
    expect(w.feed('new output', 2_500)).toBe(false);
    expect(w.feed('new output', 4_500)).toBe(true);
  });

  it('compares by settleKey: glyphs and digits normalised, text kept', () => {
    expect(settleKey('✻ 12 tokens')).toBe(settleKey('· 3400 tokens'));
    expect(settleKey('a menu')).not.toBe(settleKey('a prompt'));
  });
});
