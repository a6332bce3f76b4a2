import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_PRESETS, PRESET_MEMORY_MB } from '@shoal/protocol';
import { StateDetector, stabilityKey, type Detection } from './detector.js';
import { isInteractiveTask, PRESETS, presetArgv } from './index.js';
import type { AgentState, PresetSpec } from './types.js';

const FIXTURES = join(process.cwd(), 'apps/node-agent/src/presets/fixtures');

/** Expected state from a fixture's name: `<state>-<variant>.txt`; `menu-*` is waiting on a menu; `done-*` is read with a dead pane. */
function expectation(file: string): { state: AgentState; menu: boolean; dead: boolean } {
  const kind = file.split('/').pop()!.split('-')[0]!;
  const states: Record<string, AgentState> = { waiting: 'waiting-for-input', menu: 'waiting-for-input', working: 'working', error: 'error', done: 'done', unknown: 'unknown' };
  const state = states[kind];
  if (!state) throw new Error(`fixture ${file}: unknown state prefix "${kind}"`);
  return { state, menu: kind === 'menu', dead: kind === 'done' };
}

/**
 * A preset's fixtures: the capture script's (`fixtures/<preset>/*.txt`) and screens captured by hand
 * that the script does not reach (`fixtures/<preset>/by-hand/*.txt`, kept by a re-capture).
 */
function fixtureFiles(name: string): string[] {
  const txt = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.txt')).sort() : []);
  return [...txt(join(FIXTURES, name)), ...txt(join(FIXTURES, name, 'by-hand')).map((f) => `by-hand/${f}`)];
}

/** A detector on a hand-driven clock. */
function detector(spec: PresetSpec, options: { stableMs?: number; stallMs?: number } = {}) {
  let t = 1_000_000;
  const d = new StateDetector(spec, { now: () => t, ...options });
  return { d, advance: (ms: number) => (t += ms) };
}

/** Observes a screen long enough for it to be classified. */
function settle(spec: PresetSpec, screen: string, dead = false): Detection {
  const { d, advance } = detector(spec);
  d.observe({ screen, dead });
  advance(spec.stableMs);
  return d.observe({ screen, dead });
}

describe.each(AGENT_PRESETS)('preset %s', (name) => {
  const spec = PRESETS[name];
  const files = fixtureFiles(name);

  it('has fixtures for waiting-for-input and done (and working and menus for an agent)', () => {
    expect(files.some((f) => f.startsWith('waiting-'))).toBe(true);
    expect(files.some((f) => f.startsWith('done-'))).toBe(true);
    // opencode showed no menu offline (it starts straight at its input box with an API key)
    const kinds = name === 'opencode' ? ['working-'] : ['working-', 'menu-'];
    if (spec.interactive) for (const k of kinds) expect(files.some((f) => f.startsWith(k))).toBe(true);
  });

  it('names the release its patterns were captured from (aider and shell excepted)', () => {
    const captured = join(FIXTURES, name, 'CAPTURED.json');
    if (!existsSync(captured)) return expect(spec.testedVersion).toBeUndefined();
    const meta = JSON.parse(readFileSync(captured, 'utf8')) as { cli: string };
    expect(meta.cli.endsWith(`@${spec.testedVersion}`)).toBe(true);
  });

  it.each(files)('recognises %s', (file) => {
    const screen = readFileSync(join(FIXTURES, name, file), 'utf8');
    const want = expectation(file);
    const got = settle(spec, screen, want.dead);
    expect({ state: got.state, menu: got.menu }).toEqual({ state: want.state, menu: want.menu });
  });

  it('never calls a live pane done from its text alone (resume hints included)', () => {
    for (const file of files) {
      const got = settle(spec, readFileSync(join(FIXTURES, name, file), 'utf8'), false);
      expect(got.state).not.toBe('done');
    }
  });

  it('starts with the documented memory default and argv template', () => {
    expect(spec.memoryMb).toBe(PRESET_MEMORY_MB[name]);
    expect(presetArgv(spec, ['--model', 'x'])).toEqual([spec.argv[0], '--model', 'x']);
  });
});

describe('detector traps', () => {
  const codex = PRESETS.codex;
  const read = (preset: string, file: string) => readFileSync(join(FIXTURES, preset, file), 'utf8');

  it('reads a blank start-up as starting, never done or error; blank after content as unknown', () => {
    const { d, advance } = detector(PRESETS.claude);
    expect(d.observe({ screen: '', dead: false }).state).toBe('starting');
    advance(18_000);
    expect(d.observe({ screen: '\n\n', dead: false }).state).toBe('starting');
    d.observe({ screen: read('claude', 'waiting-input.txt'), dead: false });
    advance(2000);
    expect(d.observe({ screen: read('claude', 'waiting-input.txt'), dead: false }).state).toBe('waiting-for-input');
    expect(d.observe({ screen: '', dead: false }).state).toBe('unknown');
  });

  it('does not classify a flashing screen: codex input box then login menu', () => {
    const { d, advance } = detector(codex);
    d.observe({ screen: read('codex', 'waiting-input.txt'), dead: false });
    advance(1500);
    expect(d.observe({ screen: read('codex', 'waiting-input.txt'), dead: false }).state).toBe('starting');
    const menu = read('codex', 'menu-sign-in.txt');
    expect(d.observe({ screen: menu, dead: false }).state).toBe('starting');
    advance(codex.stableMs - 1);
    expect(d.observe({ screen: menu, dead: false }).state).toBe('starting');
    advance(1);
    expect(d.observe({ screen: menu, dead: false })).toMatchObject({ state: 'waiting-for-input', menu: true });
  });

  it('keeps the previous state while the screen changes, and ignores elapsed counters for stability', () => {
    const { d, advance } = detector(PRESETS.claude);
    const working = (s: number) => read('claude', 'working-retrying.txt').replace(/retrying in \d+s/, `retrying in ${s}s`);
    d.observe({ screen: working(1), dead: false });
    for (let s = 2; s <= 3; s++) {
      advance(1000);
      d.observe({ screen: working(s), dead: false });
    }
    expect(d.last.state).toBe('working');
    d.observe({ screen: read('claude', 'waiting-input.txt'), dead: false });
    expect(d.last.state).toBe('working');
  });

  it('turns working into stalled when nothing but counters changes for the stall timeout', () => {
    const spec = PRESETS.gemini;
    const { d, advance } = detector(spec, { stallMs: 60_000 });
    const thinking = (s: number) => read('gemini', 'working-thinking.txt').replace(/esc to cancel, \d+s/, `esc to cancel, ${s}s`);
    let state = '';
    for (let s = 0; s <= 59; s++) {
      state = d.observe({ screen: thinking(s), dead: false }).state;
      advance(1000);
    }
    expect(state).toBe('working');
    expect(d.observe({ screen: thinking(61), dead: false }).state).toBe('stalled');
    d.observe({ screen: `${thinking(62)}\n✦ Found the loader.`, dead: false });
    advance(spec.stableMs);
    expect(d.observe({ screen: `${thinking(63)}\n✦ Found the loader.`, dead: false }).state).toBe('working');
  });

  it('says done when the pane is dead whatever the screen shows', () => {
    const { d } = detector(PRESETS.claude);
    expect(d.observe({ screen: read('claude', 'working-retrying.txt'), dead: true })).toMatchObject({ state: 'done', because: 'pane dead' });
    expect(d.observe({ screen: '', dead: true }).state).toBe('done');
    expect(d.observe({ screen: read('claude', 'done-not-logged-in.txt'), dead: true }).because).toMatch(/exit hint/);
  });

  it('treats a task as interactive by its preset unless the task says otherwise', () => {
    expect(isInteractiveTask({ agent: 'claude' })).toBe(true);
    expect(isInteractiveTask({ agent: 'shell' })).toBe(false);
    expect(isInteractiveTask({})).toBe(false);
    expect(isInteractiveTask({ interactive: true })).toBe(true);
    expect(isInteractiveTask({ agent: 'codex', interactive: false })).toBe(false);
  });
});

/** The recorded retry loops: `fixtures/<preset>/sequences/<name>/NN.txt`. */
function sequences(): [string, string, string[]][] {
  const out: [string, string, string[]][] = [];
  for (const name of AGENT_PRESETS) {
    const dir = join(FIXTURES, name, 'sequences');
    if (!existsSync(dir)) continue;
    for (const seq of readdirSync(dir).sort()) {
      const screens = readdirSync(join(dir, seq))
        .filter((f) => f.endsWith('.txt'))
        .sort()
        .map((f) => readFileSync(join(dir, seq, f), 'utf8'));
      out.push([name, seq, screens]);
    }
  }
  return out;
}

describe.each(sequences())('stall detection on the recorded %s %s loop', (name, _seq, screens) => {
  const spec = PRESETS[name as keyof typeof PRESETS];
  const STEP = 3_000; // the capture interval of the sequence

  it('has a recorded loop of several screens that differ as captured', () => {
    expect(screens.length).toBeGreaterThanOrEqual(4);
    expect(new Set(screens).size).toBeGreaterThan(1);
  });

  it('is working until the stall time, stalled from then on (the loop fed again and again)', () => {
    const { d, advance } = detector(spec);
    const start = 1_000_000;
    let elapsed = 0;
    for (let i = 0; elapsed <= spec.stallMs + 2 * STEP; i++) {
      const got = d.observe({ screen: screens[i % screens.length]!, dead: false });
      if (elapsed >= spec.stableMs && elapsed < spec.stallMs) expect({ elapsed, state: got.state }).toEqual({ elapsed, state: 'working' });
      if (elapsed >= spec.stallMs) expect({ elapsed, state: got.state }).toEqual({ elapsed, state: 'stalled' });
      expect(got.unchangedSinceMs).toBe(start);
      advance(STEP);
      elapsed += STEP;
    }
  });

  it('never stalls while new output lines keep coming', () => {
    const { d, advance } = detector(spec);
    for (let i = 0, elapsed = 0; elapsed <= 2 * spec.stallMs; i++, elapsed += STEP) {
      const lines = screens[i % screens.length]!.split('\n');
      const output = Array.from({ length: i + 1 }, () => 'wrote a line of output');
      lines.splice(1, 0, ...output);
      const got = d.observe({ screen: lines.join('\n'), dead: false });
      expect(got.state).not.toBe('stalled');
      advance(STEP);
    }
  });
});

describe('what animates is ignored when screens are compared', () => {
  const key = (name: keyof typeof PRESETS, screen: string) => stabilityKey(screen, PRESETS[name].patterns.animated.map((s) => new RegExp(s, 'gim')));

  it("claude: the spinner glyph and its random gerund, the elapsed time and token count", () => {
    expect(key('claude', '✻ Pondering… (3s · ↓ 12 tokens)\n❯ ')).toBe(key('claude', '✶ Frolicking… (1m 9s · ↓ 4.1k tokens)\n❯ '));
    expect(key('claude', '● Wrote 3 lines\n❯ ')).not.toBe(key('claude', '● Read 3 files\n❯ '));
  });

  it('gemini and qwen: the spinner and the rotating witty phrase before "(esc to cancel"', () => {
    for (const name of ['gemini', 'qwen'] as const) {
      expect(key(name, ' ⠼ Thinking... (esc to cancel, 2s)')).toBe(key(name, ' ⠧ Reticulating splines... (esc to cancel, 1m 4s)'));
      expect(key(name, ' ✦ Found the loader.\n ⠼ Thinking... (esc to cancel, 2s)')).not.toBe(key(name, ' ⠼ Thinking... (esc to cancel, 2s)'));
    }
  });

  it("opencode: the knight-rider bar and the retry countdown", () => {
    const bar = (status: string) => `   ${status}  esc interrupt    • OpenCode 1.18.33`;
    expect(key('opencode', bar('■■⬝⬝⬝⬝⬝⬝ Cannot connect to API: Unable to connect. [retrying in 1s attempt #1]'))).toBe(key('opencode', bar('⬝⬝⬝⬝■■■■  tab agents  ctrl+p commands')));
  });

  it("codex: the blinking bullet, the elapsed time and the braille logo's animation", () => {
    expect(key('codex', '• Working (3s • esc to interrupt)')).toBe(key('codex', '◦ Working (1m 2s • esc to interrupt)'));
    expect(key('codex', '   ⣀⣤⣤⣀\n ⠈⠙⠛⠿⠿⠛⠉\n› Ask Codex')).toBe(key('codex', '      ⣠⣶⣿⣿⣦\n⠙⠛⠛⠉\n› Ask Codex'));
  });
});
