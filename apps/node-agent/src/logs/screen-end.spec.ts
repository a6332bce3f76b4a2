import { screenOutputLines, withScreenEnd } from './screen-end.js';

const DEAD = 'Pane is dead (status 0, Mon Nov 30 00:14:43 2026)';

describe('completing a lagging log tail from the dead pane\'s screen', () => {
  it('drops tmux\'s "Pane is dead" line and blank lines from the screen', () => {
    expect(screenOutputLines(`one\n\n  \ntwo\n\n${DEAD}`)).toEqual(['one', 'two']);
    expect(screenOutputLines('one\nPane is dead (signal TERM, Mon Nov 30 01:36:09 2026)')).toEqual(['one']);
  });

  it('strips the message where capture-pane -J joined it to a wrapped last output line (seen replaying a real gemini session)', () => {
    expect(screenOutputLines(`one\ngemini --resume ddee4c48${DEAD}\n`)).toEqual(['one', 'gemini --resume ddee4c48']);
    expect(withScreenEnd('one\ngemini --resume ddee4c48\n', `one\ngemini --resume ddee4c48${DEAD}`)).toBe('one\ngemini --resume ddee4c48\n');
  });

  it('keeps output that only mentions the message before the last line', () => {
    expect(screenOutputLines(`${DEAD} was printed by the task\nlast`)).toEqual([`${DEAD} was printed by the task`, 'last']);
  });

  it('appends the lines the tail lacks after the run of screen lines it ends with', () => {
    expect(withScreenEnd('E: writing notes\n', `E: writing notes\nE: done\n\n${DEAD}`)).toBe('E: writing notes\nE: done');
  });

  it('leaves a tail that already holds the whole screen as it is', () => {
    expect(withScreenEnd('a\nb\n', `a\nb\n\n${DEAD}`)).toBe('a\nb\n');
  });

  it('aligns a screen whose top scrolled into the tail\'s history', () => {
    expect(withScreenEnd('1\n2\n3\n4', '3\n4\n5\n6')).toBe('1\n2\n3\n4\n5\n6');
  });

  it('counts repeated lines: a tail holding two of three identical lines gets the third', () => {
    expect(withScreenEnd('x\nx', 'x\nx\nx')).toBe('x\nx\nx');
  });

  it('ignores wrapping: a line the log wrapped still matches the screen\'s joined line', () => {
    expect(withScreenEnd('a long line that wr\naps', 'a long line that wraps\nend')).toBe('a long line that wr\naps\nend');
  });

  it('an empty tail becomes the screen\'s output; a tail sharing no run with the screen keeps both', () => {
    expect(withScreenEnd('', `only\nscreen\n${DEAD}`)).toBe('only\nscreen');
    expect(withScreenEnd('alpha\n', 'beta\ngamma')).toBe('alpha\nbeta\ngamma');
  });

  it('a screen with no output adds nothing', () => {
    expect(withScreenEnd('kept', DEAD)).toBe('kept');
  });
});
