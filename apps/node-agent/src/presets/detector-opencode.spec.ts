/**
 * opencode giving up offline (1.18.33): it retries for ~70 s (5 attempts, `esc interrupt` in its
 * bottom bar), then leaves `Cannot connect to API: ...` in its transcript and waits at its input
 * box. The detector must read that screen as `error` with and without the sidebar's MCP lines, never
 * while it still retries, and not once a later turn was sent. Screens: `fixtures/opencode/` and
 * `fixtures/opencode/by-hand/` (README there); the later turns are built on a captured screen.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StateDetector } from './detector.js';
import { PRESETS } from './presets.js';
import type { PresetSpec } from './types.js';

const DIR = join(process.cwd(), 'apps/node-agent/src/presets/fixtures/opencode');
const read = (file: string) => readFileSync(join(DIR, file), 'utf8');
const opencode = PRESETS.opencode;
/** The preset without its working cue: what the error cue alone says. */
const errorCueOnly: PresetSpec = { ...opencode, patterns: { ...opencode.patterns, working: [] } };
const classify = (screen: string, spec: PresetSpec = opencode) => new StateDetector(spec, { now: () => 0 }).classify(screen);

/** A captured gave-up screen with more transcript lines put right under the failed turn's footer (`▣`). */
function withLaterTurn(file: string, lines: string[], bottomBar?: string): string {
  const screen = read(file).replace(/\n$/, '').split('\n');
  const footer = screen.findIndex((l) => l.includes('▣'));
  screen.splice(footer + 1, 0, ...lines);
  if (bottomBar !== undefined) screen[screen.length - 1] = bottomBar;
  return `${screen.join('\n')}\n`;
}
const USER = ['', '  ┃', '  ┃  Reply with the single word pong', '  ┃', ''];
/** The bottom bar of a running turn, as captured (`working-turn.txt`). */
const WORKING_BAR = read('working-turn.txt').trimEnd().split('\n').pop()!;

describe('opencode: a turn it gave up on offline', () => {
  it.each(['by-hand/error-gave-up.txt', 'by-hand/error-gave-up-toast.txt', 'by-hand/error-gave-up-mcp.txt', 'by-hand/error-gave-up-mcp-toast.txt'])(
    'reads %s as error, by the transcript line, whatever the sidebar holds',
    (file) => {
      const got = classify(read(file));
      expect(got.state).toBe('error');
      expect(got.because).toContain('Cannot connect to API');
      expect(got.because).toMatch(/^\/.{59}…\/$/u); // a 130-character cue, quoted cut
    },
  );

  it('no error cue matches a screen of a retrying turn, even without the working cue first', () => {
    const retrying = [
      ...readdirSync(DIR).filter((f) => f.startsWith('working-')),
      ...readdirSync(join(DIR, 'by-hand')).filter((f) => f.startsWith('working-')).map((f) => `by-hand/${f}`),
      ...readdirSync(join(DIR, 'sequences/retry')).map((f) => `sequences/retry/${f}`),
    ];
    expect(retrying.length).toBeGreaterThanOrEqual(12);
    for (const file of retrying) {
      const screen = read(file);
      expect({ file, bar: /esc interrupt/.test(screen) }).toEqual({ file, bar: true });
      expect({ file, state: classify(screen, errorCueOnly).state }).not.toEqual({ file, state: 'error' });
    }
  });

  it.each([
    ['without MCP', 'by-hand/working-retrying-last-attempt.txt', 'by-hand/error-gave-up-toast.txt', 'by-hand/error-gave-up.txt'],
    ['with MCP', 'by-hand/working-retrying-last-attempt-mcp.txt', 'by-hand/error-gave-up-mcp-toast.txt', 'by-hand/error-gave-up-mcp.txt'],
  ])('replayed every 3 s %s: working while it retries, error once it gave up', (_label, retrying, toast, gaveUp) => {
    let t = 0;
    const d = new StateDetector(opencode, { now: () => t });
    const states: string[] = [];
    for (const file of [retrying, retrying, retrying, toast, toast, gaveUp, gaveUp, gaveUp]) {
      states.push(d.observe({ screen: read(file), dead: false }).state);
      t += 3_000;
    }
    // the first look is not yet stable; the toast going away changes the screen for one look
    expect(states).toEqual(['starting', 'working', 'working', 'working', 'error', 'error', 'error', 'error']);
  });
});

describe('opencode: a later turn ends the failed turn', () => {
  const file = 'by-hand/error-gave-up-mcp.txt';

  it('sent and running: working; the error cue alone does not match either (a new footer follows)', () => {
    const screen = withLaterTurn(file, [...USER, '     ▣  Build · Claude Sonnet 4.6'], WORKING_BAR);
    expect(classify(screen).state).toBe('working');
    expect(classify(screen, errorCueOnly).state).not.toBe('error');
  });

  it('answered: waiting-for-input, the older error is history', () => {
    const screen = withLaterTurn(file, [...USER, '     pong', '', '     ▣  Build · Claude Sonnet 4.6 · 1.2s']);
    expect(classify(screen)).toMatchObject({ state: 'waiting-for-input', because: '/ctrl\\+p commands/' });
  });

  it('interrupted: waiting-for-input', () => {
    const screen = withLaterTurn(file, [...USER, '     ▣  Build · Claude Sonnet 4.6 · interrupted']);
    expect(classify(screen).state).toBe('waiting-for-input');
  });

  it('given up again: error', () => {
    const failed = ['  ┃', '  ┃  Cannot connect to API: Unable to connect. Is the computer able to access the url?', '  ┃', '', '     ▣  Build · Claude Sonnet 4.6'];
    expect(classify(withLaterTurn(file, [...USER, ...failed])).state).toBe('error');
  });

  it('a prompt that quotes the error is not one: the answer under it is not a box line', () => {
    const quoting = ['', '  ┃', '  ┃  Cannot connect to API: what does it mean?', '  ┃', '', '     The network is down.', '', '     ▣  Build · Claude Sonnet 4.6 · 2.0s'];
    expect(classify(withLaterTurn(file, quoting)).state).toBe('waiting-for-input');
  });
});
