/**
 * StateDetector rules on a synthetic preset (issue 15: mutation testing of the node-agent
 * deciders): stability and stall timing at their edges, the order of classification, the tail
 * and error windows, and what each detection says it was decided by.
 */
import { StateDetector, stabilityKey } from './detector.js';
import type { PresetSpec } from './types.js';

const SPEC: PresetSpec = {
  name: 'shell',
  description: 'synthetic preset for the detector rules',
  argv: ['sh'],
  memoryMb: 256,
  interactive: true,
  tailLines: 2,
  errorLines: 3,
  stableMs: 1_000,
  stallMs: 10_000,
  idleMs: 3_000,
  patterns: { working: ['esc to interrupt'], prompt: ['^> $', '^>$'], menu: ['^\\d\\. yes'], error: ['api error'], exitHints: ['resume with'], animated: [] },
};

function detector(over: Partial<PresetSpec> = {}, options: { stableMs?: number; stallMs?: number } = {}) {
  const clock = { t: 5_000 };
  const d = new StateDetector({ ...SPEC, ...over }, { now: () => clock.t, ...options });
  return { d, clock, see: (screen: string, dead = false) => d.observe({ screen, dead }) };
}

describe('StateDetector: timing', () => {
  it('starts as starting, nothing observed yet, since the clock at construction', () => {
    const { d } = detector();
    expect(d.last).toEqual({ state: 'starting', menu: false, because: 'nothing observed yet', unchangedSinceMs: 5_000 });
  });

  it('classifies a screen once unchanged for exactly stableMs, not a millisecond earlier', () => {
    const { see, clock } = detector();
    see('work\nesc to interrupt');
    clock.t += 999;
    expect(see('work\nesc to interrupt')).toEqual({ state: 'starting', menu: false, because: 'nothing observed yet', unchangedSinceMs: 5_000 });
    clock.t += 1;
    expect(see('work\nesc to interrupt')).toEqual({ state: 'working', menu: false, because: '/esc to interrupt/', unchangedSinceMs: 5_000 });
  });

  it('working becomes stalled after exactly stallMs without change, saying for how long', () => {
    const { see, clock } = detector();
    see('esc to interrupt 1s');
    clock.t += 9_999;
    expect(see('esc to interrupt 9s').state).toBe('working');
    clock.t += 1;
    expect(see('esc to interrupt 10s')).toEqual({ state: 'stalled', menu: false, because: '/esc to interrupt/, no change for 10000 ms', unchangedSinceMs: 5_000 });
  });

  it('only working turns into stalled: a prompt unchanged for longer stays waiting-for-input', () => {
    const { see, clock } = detector();
    see('> ');
    clock.t += 60_000;
    expect(see('> ').state).toBe('waiting-for-input');
  });

  it('the options override the preset timings', () => {
    const { see, clock } = detector({}, { stableMs: 0, stallMs: 50 });
    expect(see('esc to interrupt').state).toBe('working');
    clock.t += 50;
    expect(see('esc to interrupt').state).toBe('stalled');
  });

  it('a changed screen restarts the stability clock', () => {
    const { see, clock } = detector();
    see('> ');
    clock.t += 1_000;
    expect(see('> ').state).toBe('waiting-for-input');
    clock.t += 500;
    const changed = see('thinking about it');
    expect(changed).toMatchObject({ state: 'waiting-for-input', unchangedSinceMs: 6_500 });
  });
});

describe('StateDetector: classification', () => {
  const classify = (screen: string, over: Partial<PresetSpec> = {}) => detector(over).d.classify(screen);

  it('working wins over error, error over menu, menu over prompt', () => {
    expect(classify('api error\n1. yes\nesc to interrupt')).toMatchObject({ state: 'working', because: '/esc to interrupt/' });
    expect(classify('api error\n1. yes')).toMatchObject({ state: 'error', because: '/api error/', menu: false });
    expect(classify('x\n1. yes\n>')).toMatchObject({ state: 'waiting-for-input', menu: true, because: 'menu /^\\d\\. yes/' });
    expect(classify('x\n>')).toEqual({ state: 'waiting-for-input', menu: false, because: '/^>$/', unchangedSinceMs: 0 });
    expect(classify('just text')).toEqual({ state: 'unknown', menu: false, because: 'no pattern matched', unchangedSinceMs: 0 });
  });

  it('patterns are case-insensitive and anchors match per line', () => {
    expect(classify('API ERROR').state).toBe('error');
    expect(classify('line one\n> ').state).toBe('waiting-for-input');
  });

  it('looks at the last tailLines non-blank lines for working, menu and prompt', () => {
    expect(classify('esc to interrupt\na\nb').state).toBe('unknown');
    expect(classify('esc to interrupt\na\n\n\n').state).toBe('working');
    expect(classify('1. yes\na\nb').state).toBe('unknown');
  });

  it('looks at the last errorLines lines for errors, and not at all when errorLines is 0', () => {
    expect(classify('api error\na\nb').state).toBe('error');
    expect(classify('api error\na\nb\nc').state).toBe('unknown');
    expect(classify('api error', { errorLines: 0 }).state).toBe('unknown');
  });

  it('error lines are read as lines: a start anchor matches at the start of any of them', () => {
    expect(classify('x\nfatal: disk full', { patterns: { ...SPEC.patterns, error: ['^fatal:'] } }).state).toBe('error');
  });

  it('trailing spaces of a line do not defeat an end anchor', () => {
    expect(classify('x\n>   ').state).toBe('waiting-for-input');
  });
});

describe('StateDetector: dead and blank panes', () => {
  it('a dead pane is done, naming the exit hint when one shows', () => {
    const { see } = detector();
    expect(see('bye', true)).toEqual({ state: 'done', menu: false, because: 'pane dead', unchangedSinceMs: 5_000 });
    expect(see('Resume with: agent --resume 42', true).because).toBe('pane dead; exit hint /resume with/');
  });

  it('a blank screen (only spaces) is starting before any content, unknown after', () => {
    const { see, clock } = detector();
    expect(see('   \n  ')).toMatchObject({ state: 'starting', because: 'blank screen' });
    see('hello');
    clock.t += 1_000;
    see('hello');
    expect(see('  ')).toMatchObject({ state: 'unknown', because: 'blank screen' });
  });
});

describe('stabilityKey', () => {
  it('replaces digit runs and drops trailing spaces and tabs of every line', () => {
    expect(stabilityKey('took 12s, 3400 tokens  \nnext\t\nlast')).toBe('took #s, # tokens\nnext\nlast');
    expect(stabilityKey('a 1 b 22')).toBe(stabilityKey('a 9 b 7'));
    expect(stabilityKey('a b')).not.toBe(stabilityKey('a  b'));
  });
});
