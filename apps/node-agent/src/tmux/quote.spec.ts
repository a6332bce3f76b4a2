import { ValidationError } from '@shoal/protocol';
import {
  argvIssues,
  assertKeyNames,
  assertSessionName,
  assertWindowName,
  buildTmuxCommand,
  envIssues,
  escapeTmuxFormat,
  quoteShellWord,
  quoteTmuxArg,
} from './quote.js';

describe('quoteTmuxArg', () => {
  it('wraps plain words in single quotes', () => {
    expect(quoteTmuxArg('hello')).toBe("'hello'");
    expect(quoteTmuxArg('')).toBe("''");
  });

  it('leaves tmux and shell syntax inside the quotes untouched', () => {
    for (const s of ['; touch X', '$(touch X)', '`id`', '#(id)', '#{pane_id}', '"$HOME"', '~', 'a\\b', '\x1b[0m', 'C-c', '{', '}']) {
      expect(quoteTmuxArg(s)).toBe(`'${s}'`);
    }
  });

  it('writes a single quote as close, "\'", reopen', () => {
    expect(quoteTmuxArg("it's")).toBe(`'it'"'"'s'`);
    expect(quoteTmuxArg("'")).toBe(`''"'"''`);
  });

  it('rejects what a control-mode line cannot carry, naming the field', () => {
    for (const bad of ['a\nb', 'a\0b', 'x\uD800y']) {
      expect(() => quoteTmuxArg(bad, 'argv[2]')).toThrow(ValidationError);
    }
    try {
      quoteTmuxArg('a\nb', 'argv[2]');
    } catch (err) {
      expect((err as ValidationError).issues[0].path).toBe('argv[2]');
      expect((err as ValidationError).message).toMatch(/newline/);
    }
  });

  it('allows carriage return, tab, ESC and non-ASCII', () => {
    expect(quoteTmuxArg('a\r\tb\x1bé😀')).toBe("'a\r\tb\x1bé😀'");
  });
});

describe('buildTmuxCommand', () => {
  it('quotes every argument and keeps the verb bare', () => {
    expect(buildTmuxCommand('send-keys', ['-t', '%1', '-l', '--', 'x; y'])).toBe("send-keys '-t' '%1' '-l' '--' 'x; y'");
  });

  it('rejects a verb that is not a plain command name', () => {
    expect(() => buildTmuxCommand('kill-server;', [])).toThrow(ValidationError);
    expect(() => buildTmuxCommand('new-window -d', [])).toThrow(ValidationError);
  });
});

describe('format and shell escaping', () => {
  it('doubles # for options tmux expands as formats', () => {
    expect(escapeTmuxFormat('a#{b}#(c)##')).toBe('a##{b}##(c)####');
  });

  it('single-quotes shell words', () => {
    expect(quoteShellWord("/tmp/a b/it's.log")).toBe(`'/tmp/a b/it'\\''s.log'`);
  });
});

describe('argv and env checks', () => {
  it('reports every bad element with its index', () => {
    expect(argvIssues(['ok', 'a\nb', 'c\0'])).toEqual([
      { path: 'argv[1]', message: expect.stringMatching(/newline/) },
      { path: 'argv[2]', message: expect.stringMatching(/NUL/) },
    ]);
    expect(argvIssues([])).toEqual([{ path: 'argv', message: 'must not be empty' }]);
    expect(argvIssues([''])).toEqual([{ path: 'argv[0]', message: 'program must not be empty' }]);
  });

  it('checks env names and values', () => {
    expect(envIssues({ GOOD_1: 'x', '1BAD': 'x', 'A-B': 'y', V: 'a\nb' }).map((i) => i.path)).toEqual(['env.1BAD', 'env.A-B', 'env.V']);
  });
});

describe('names', () => {
  it('accepts team sessions and rejects tmux target syntax', () => {
    expect(() => assertSessionName('Task-frontend')).not.toThrow();
    for (const bad of ['', 'a:b', 'a.b', 'x#{y}', '-x', 'a b', 'x'.repeat(101)]) expect(() => assertSessionName(bad)).toThrow(ValidationError);
  });

  it('accepts printable window names, rejects control characters', () => {
    expect(() => assertWindowName('Frontend-Dev')).not.toThrow();
    expect(() => assertWindowName('a #{b} c')).not.toThrow();
    for (const bad of ['', 'a\tb', 'a\x1bb', 'x'.repeat(101)]) expect(() => assertWindowName(bad)).toThrow(ValidationError);
  });

  it('accepts key names, rejects text', () => {
    expect(() => assertKeyNames(['C-c', 'Enter', 'Escape', 'M-x', 'F1', 'Up', 'q', 'C-M-a'])).not.toThrow();
    for (const bad of [[], ['hello world'], ['C-'], ['a;b'], ['']]) expect(() => assertKeyNames(bad)).toThrow(ValidationError);
  });
});
