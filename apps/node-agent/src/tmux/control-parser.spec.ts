import { ControlModeParser, LineSplitter, unescapeOutput, type ControlEvent } from './control-parser.js';

function feed(lines: string[]): ControlEvent[] {
  const parser = new ControlModeParser();
  return lines.map((l) => parser.push(l)).filter((e): e is ControlEvent => e !== undefined);
}

describe('ControlModeParser', () => {
  it('collects a reply block with its output lines', () => {
    expect(feed(['%begin 1700000000 42 1', '@1\t%3\t1234', 'second', '%end 1700000000 42 1'])).toEqual([
      { kind: 'reply', ok: true, number: 42, time: 1700000000, flags: 1, lines: ['@1\t%3\t1234', 'second'] },
    ]);
  });

  it('marks %error blocks as failed', () => {
    expect(feed(['%begin 5 7 1', "can't find pane: %9", '%error 5 7 1'])).toEqual([
      { kind: 'reply', ok: false, number: 7, time: 5, flags: 1, lines: ["can't find pane: %9"] },
    ]);
  });

  it('keeps guard-looking and notification-looking lines of another command inside the block', () => {
    const events = feed(['%begin 5 7 1', '%end 5 8 1', '%end 4 7 1', '%output %1 x', '%begin 5 9 1', '%end 5 7 1']);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'reply', lines: ['%end 5 8 1', '%end 4 7 1', '%output %1 x', '%begin 5 9 1'] });
  });

  it('parses notifications outside blocks', () => {
    expect(feed(['%window-close @4', '%sessions-changed', '%exit', '%subscription-changed s1 $0 @1 1 %1 : 1'])).toEqual([
      { kind: 'notification', name: 'window-close', args: ['@4'], raw: '%window-close @4' },
      { kind: 'notification', name: 'sessions-changed', args: [], raw: '%sessions-changed' },
      { kind: 'notification', name: 'exit', args: [], raw: '%exit' },
      expect.objectContaining({ name: 'subscription-changed', args: ['s1', '$0', '@1', '1', '%1', ':', '1'] }),
    ]);
  });

  it('unescapes %output data', () => {
    expect(feed(['%output %12 hi\\015\\012a\\134b \\033[0m'])).toEqual([
      { kind: 'notification', name: 'output', args: ['%12'], data: 'hi\r\na\\b \x1b[0m', raw: '%output %12 hi\\015\\012a\\134b \\033[0m' },
    ]);
    expect(feed(['%extended-output %3 120 : ok\\012'])[0]).toMatchObject({ args: ['%3', '120'], data: 'ok\n' });
  });

  it('reports stray text outside blocks', () => {
    expect(feed(['hello'])).toEqual([{ kind: 'stray', raw: 'hello' }]);
  });

  it('handles back-to-back blocks interleaved with notifications', () => {
    const events = feed(['%begin 1 1 0', '%end 1 1 0', '%window-add @0', '%begin 1 2 1', 'a', '%end 1 2 1', '%begin 1 3 1', '%end 1 3 1']);
    expect(events.map((e) => (e.kind === 'reply' ? `r${e.number}:${e.lines.length}` : e.kind))).toEqual(['r1:0', 'notification', 'r2:1', 'r3:0']);
  });
});

describe('unescapeOutput', () => {
  it('only turns three-digit octal escapes into characters', () => {
    expect(unescapeOutput('\\101\\12x\\')).toBe('A\\12x\\');
  });
});

describe('LineSplitter', () => {
  it('splits on newlines across chunks without breaking UTF-8 characters', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('ab\né😀\nrest', 'utf8');
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i++) lines.push(...s.push(bytes.subarray(i, i + 1)));
    expect(lines).toEqual(['ab', 'é😀']);
    expect(s.push(Buffer.from('\n'))).toEqual(['rest']);
  });
});
