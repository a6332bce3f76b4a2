import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_PRESETS, PRESET_MEMORY_MB } from '@shoal/protocol';
import { StateDetector, type Detection } from './detector.js';
import { isInteractiveTask, PRESETS, presetArgv } from './index.js';
import type { AgentState, PresetSpec } from './types.js';

const FIXTURES = join(process.cwd(), 'apps/node-agent/src/presets/fixtures');

/** Expected state from a fixture's name: `<state>-<variant>.txt`; `menu-*` is waiting on a menu; `done-*` is read with a dead pane. */
function expectation(file: string): { state: AgentState; menu: boolean; dead: boolean } {
  const kind = file.split('-')[0]!;
  const states: Record<string, AgentState> = { waiting: 'waiting-for-input', menu: 'waiting-for-input', working: 'working', error: 'error', done: 'done', unknown: 'unknown' };
  const state = states[kind];
  if (!state) throw new Error(`fixture ${file}: unknown state prefix "${kind}"`);
  return { state, menu: kind === 'menu', dead: kind === 'done' };
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
  const files = readdirSync(join(FIXTURES, name)).filter((f) => f.endsWith('.txt')).sort();

  it('has fixtures for waiting-for-input and done', () => {
    expect(files.some((f) => f.startsWith('waiting-'))).toBe(true);
    expect(files.some((f) => f.startsWith('done-'))).toBe(true);
    if (spec.interactive) for (const k of ['working-', 'error-', 'menu-']) expect(files.some((f) => f.startsWith(k))).toBe(true);
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
    const menu = read('codex', 'menu-login.txt');
    expect(d.observe({ screen: menu, dead: false }).state).toBe('starting');
    advance(codex.stableMs - 1);
    expect(d.observe({ screen: menu, dead: false }).state).toBe('starting');
    advance(1);
    expect(d.observe({ screen: menu, dead: false })).toMatchObject({ state: 'waiting-for-input', menu: true });
  });

  it('keeps the previous state while the screen changes, and ignores elapsed counters for stability', () => {
    const { d, advance } = detector(PRESETS.claude);
    const working = (s: number) => read('claude', 'working-turn.txt').replace('27s', `${s}s`);
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
    const thinking = (s: number) => read('gemini', 'working-turn.txt').replace('41s', `${s}s`);
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
    expect(d.observe({ screen: read('claude', 'working-turn.txt'), dead: true })).toMatchObject({ state: 'done', because: 'pane dead' });
    expect(d.observe({ screen: '', dead: true }).state).toBe('done');
    expect(d.observe({ screen: read('claude', 'done-resume.txt'), dead: true }).because).toMatch(/exit hint/);
  });

  it('treats a task as interactive by its preset unless the task says otherwise', () => {
    expect(isInteractiveTask({ agent: 'claude' })).toBe(true);
    expect(isInteractiveTask({ agent: 'shell' })).toBe(false);
    expect(isInteractiveTask({})).toBe(false);
    expect(isInteractiveTask({ interactive: true })).toBe(true);
    expect(isInteractiveTask({ agent: 'codex', interactive: false })).toBe(false);
  });
});
