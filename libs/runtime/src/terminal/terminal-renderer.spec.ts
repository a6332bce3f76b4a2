import { renderTerminal, TerminalRenderer } from './terminal-renderer.js';

describe('renderTerminal (synthetic bytes)', () => {
  it('turns cursor moves into spaces and new lines and drops colours and modes', async () => {
    const bytes = '\u001b[?2004h\u001b[>4;2m\u001b[38;5;211mUnable\u001b[9Gto\u001b[12Gconnect\u001b[39m\r\r\n\u001b[2Gnext\u001b[3Cword\u001b[>0q\u001b]7501;?\u0007\u001b(B\u001b7\u001b8';
    const text = await renderTerminal(bytes, { cols: 80, rows: 10 });
    expect(text).toBe('Unable  to connect\n next   word');
  });

  it('keeps lines that scrolled off, in order, then the final screen', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    expect(await renderTerminal(`${lines.join('\r\n')}\r\n`, { cols: 40, rows: 5 })).toBe(lines.join('\n'));
  });

  it('prints a box repainted in place once', async () => {
    let bytes = 'header\r\n';
    for (let i = 0; i < 500; i++) bytes += `\u001b[2;1H\u001b[2K> typed ${i}\u001b[3;1H\u001b[2K-- footer --`;
    const text = await renderTerminal(bytes, { cols: 40, rows: 6 });
    expect(text).toBe('header\n> typed 499\n-- footer --');
  });

  it('keeps the last screen of a program that leaves the alternate screen', async () => {
    const text = await renderTerminal('before\r\n\u001b[?1049h\u001b[H\u001b[2Jfull screen app\u001b[?1049lafter', { cols: 40, rows: 5 });
    expect(text).toBe('full screen app\nbefore\nafter');
  });

  it('joins a line wrapped at the edge on the final screen, keeping a space at the wrap', async () => {
    expect(await renderTerminal('aaaaaaaaa bbbb\r\nREPORT {"k": 1}', { cols: 10, rows: 5 })).toBe('aaaaaaaaa bbbb\nREPORT {"k": 1}');
  });

  it('joins a line wrapped at the edge when it scrolls off', async () => {
    const long = 'x'.repeat(25);
    expect(await renderTerminal(`${long}\r\n1\r\n2\r\n3\r\n`, { cols: 10, rows: 3 })).toBe(`${long}\n1\n2\n3`);
  });

  it('renders bytes split anywhere (inside UTF-8 characters and escape sequences) like the whole', async () => {
    const bytes = Buffer.from('a\u001b[10Gé✓\u001b[38;5;1mb\r\nc');
    const whole = await renderTerminal(bytes, { cols: 20, rows: 4 });
    const r = new TerminalRenderer({ cols: 20, rows: 4 });
    for (let i = 0; i < bytes.length; i++) await r.write(bytes.subarray(i, i + 1));
    expect(r.screen().join('\n')).toBe(whole);
    r.dispose();
    expect(whole).toBe('a        é✓b\nc');
  });

  it('renders a MB of output in one pass (linear: chunked, scrollback cleared after each chunk)', async () => {
    const line = `${'word '.repeat(30)}\r\n`;
    const bytes = line.repeat(Math.ceil((1024 * 1024) / line.length));
    const text = await renderTerminal(bytes, { cols: 200, rows: 50 });
    expect(text.split('\n')).toHaveLength(Math.ceil((1024 * 1024) / line.length));
  });
});

describe('TerminalRenderer for a live stream (takeNewLines / takeScreenChanges)', () => {
  it('gives the screen from its first changed row, and scrolled lines not already shown', async () => {
    const r = new TerminalRenderer({ cols: 40, rows: 4 });
    await r.write('one\r\ntwo\r\nthr');
    expect(r.takeScreenChanges()).toEqual(['one', 'two', 'thr']);
    await r.write('ee\r\nfour');
    expect(r.takeNewLines()).toEqual([]);
    expect(r.takeScreenChanges()).toEqual(['three', 'four']);
    expect(r.takeScreenChanges()).toEqual([]);
    await r.write('\r\nfive\r\nsix\r\nseven');
    // one, two, three scrolled off: all three were shown as they are
    expect(r.takeNewLines()).toEqual([]);
    expect(r.takeScreenChanges()).toEqual(['five', 'six', 'seven']);
    r.dispose();
  });

  it('a box repainted in place gives nothing new; a changed row gives the screen from there down', async () => {
    const r = new TerminalRenderer({ cols: 40, rows: 5 });
    const box = (sel: number) => `\u001b[H\u001b[2J? pick one\r\n${sel === 1 ? '>' : ' '} 1. No\r\n${sel === 2 ? '>' : ' '} 2. Yes\r\n`;
    const shown: string[] = [];
    for (let i = 0; i < 100; i++) {
      await r.write(box(1));
      shown.push(...r.takeNewLines());
      if (i % 10 === 9) shown.push(...r.takeScreenChanges());
    }
    await r.write(box(2));
    shown.push(...r.takeScreenChanges());
    expect(shown).toEqual(['? pick one', '> 1. No', '  2. Yes', '  1. No', '> 2. Yes']);
    r.dispose();
  });

  it('a countdown repainted in place is shown when counters are asked for; any other change at once', async () => {
    const r = new TerminalRenderer({ cols: 60, rows: 4 });
    const frame = (s: number, attempt: number) => `\u001b[H\u001b[2JCannot reach the API\r\nretrying in ${s}s · attempt ${attempt}/10\r\n`;
    await r.write(frame(9, 1));
    expect(r.takeScreenChanges()).toEqual(['Cannot reach the API', 'retrying in 9s · attempt 1/10']);
    for (const s of [8, 7, 6]) {
      await r.write(frame(s, 1));
      expect(r.takeScreenChanges()).toEqual([]);
      expect(r.countersPending).toBe(true);
    }
    expect(r.takeScreenChanges(false, true)).toEqual(['retrying in 6s · attempt 1/10']);
    expect(r.countersPending).toBe(false);
    expect(r.takeScreenChanges(false, true)).toEqual([]);
    await r.write(`${frame(4, 2)}one more line\r\n`); // a real change below shows the counter above it too
    expect(r.takeScreenChanges()).toEqual(['retrying in 4s · attempt 2/10', 'one more line']);
    expect(r.countersPending).toBe(false);
    await r.write(frame(5, 1));
    expect(r.takeScreenChanges(true)).toEqual(['retrying in 5s · attempt 1/10']); // the end of the stream shows the last value
    await r.write(`\u001b[H\u001b[2JCannot reach the API\r\ngave up after 10 attempts\r\n`);
    expect(r.takeScreenChanges()).toEqual(['gave up after 10 attempts']);
    await r.write('\u001b[3;1H42');
    expect(r.takeScreenChanges()).toEqual(['42']); // a new row, though all digits
    r.dispose();
  });

  it('cuts runs of blank lines to two across calls', async () => {
    const r = new TerminalRenderer({ cols: 20, rows: 3 });
    await r.write(`a${'\r\n'.repeat(10)}b\r\n\r\n`);
    const lines = [...r.takeNewLines(), ...r.takeScreenChanges()];
    expect(lines).toEqual(['a', '', '', 'b']);
    r.dispose();
  });
});
