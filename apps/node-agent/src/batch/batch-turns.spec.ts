/**
 * The pure parts of batch sessions: a member's turn read from pane looks (with a real StateDetector
 * on a preset declared here, so the test does not depend on the shipped presets' patterns), and
 * the session's queue with its linger.
 */
import { PRESETS, StateDetector, type PresetSpec } from '../presets/index.js';
import { BatchQueue } from './batch-queue.js';
import { TurnTracker } from './turn-tracker.js';

/** The shell preset with patterns of its own (other fields, whatever the shipped presets add, kept). */
const PRESET: PresetSpec = {
  ...PRESETS.shell,
  tailLines: 2,
  errorLines: 4,
  stableMs: 500,
  stallMs: 600_000,
  patterns: { ...PRESETS.shell.patterns, working: ['esc to interrupt'], prompt: ['^> ?$'], menu: ['Enter to confirm'], error: ['API Error'], exitHints: [] },
};

function turn(quietMs = 3000) {
  const clock = { t: 0 };
  const detector = new StateDetector(PRESET, { now: () => clock.t });
  const tracker = new TurnTracker({ now: () => clock.t, stableMs: PRESET.stableMs, quietMs });
  /** Shows `screen` for `ms` (looks every 100 ms); returns the last step. */
  const show = (screen: string, ms: number, dead = false) => {
    let step = tracker.look(detector.observe({ screen, dead }), screen).step;
    for (let t = 100; t <= ms; t += 100) {
      clock.t += 100;
      step = tracker.look(detector.observe({ screen, dead }), screen).step;
      if (step !== 'wait') return step;
    }
    return step;
  };
  return { clock, tracker, show };
}

describe('TurnTracker', () => {
  it('says type once the agent settled at its prompt, not while it starts up', () => {
    const { show } = turn();
    expect(show('', 2000)).toBe('wait');
    expect(show('loading...', 2000)).toBe('wait');
    expect(show('welcome\n> ', 400)).toBe('wait');
    expect(show('welcome\n> ', 200)).toBe('type');
  });

  it('never says type on a menu, however long it stays', () => {
    const { show } = turn();
    expect(show('Trust this folder?\n1. Yes\nEnter to confirm', 10_000)).toBe('wait');
  });

  it('takes a settled unknown screen as the prompt only after the quiet time', () => {
    const { show } = turn(3000);
    expect(show('ready, type below', 2500)).toBe('wait');
    expect(show('ready, type below', 600)).toBe('type');
  });

  it('after Enter: working, then back at the prompt and settled, ends the turn', () => {
    const { tracker, show } = turn();
    expect(show('> ', 600)).toBe('type');
    tracker.sent('> do it');
    expect(show('> do it\n* Thinking (esc to interrupt)', 2000)).toBe('wait');
    expect(show('> do it\ndone.\n> ', 400)).toBe('wait');
    expect(show('> do it\ndone.\n> ', 200)).toBe('ended');
  });

  it('after Enter: an answer without a working phase ends the turn once settled', () => {
    const { tracker, show } = turn();
    show('> ', 600);
    tracker.sent('> hi');
    expect(show('> hi\nhello\n> ', 600)).toBe('ended');
  });

  it('after Enter: the very screen seen right after Enter ends the turn only after the quiet time (an answer faster than the first look)', () => {
    const { tracker, show } = turn(3000);
    show('> ', 600);
    tracker.sent('> hi\nhello\n> ');
    expect(show('> hi\nhello\n> ', 2900)).toBe('wait');
    expect(show('> hi\nhello\n> ', 200)).toBe('ended');
  });

  it('after Enter: a menu (a permission dialog) keeps the turn open', () => {
    const { tracker, show } = turn();
    show('> ', 600);
    tracker.sent('> go');
    expect(show('> go\nAllow edit? Enter to confirm', 10_000)).toBe('wait');
  });

  it('after Enter: an error that stays on screen fails the member after the quiet time', () => {
    const { tracker, show } = turn(3000);
    show('> ', 600);
    tracker.sent('> go');
    let step = show('> go\nAPI Error: 500', 2000);
    expect(step).toBe('wait');
    step = show('> go\nAPI Error: 500', 1200);
    expect(step).toBe('failed');
  });

  it('a dead pane is dead, before and after Enter', () => {
    const a = turn();
    expect(a.show('> ', 100, true)).toBe('dead');
    const b = turn();
    b.show('> ', 600);
    b.tracker.sent('> x');
    expect(b.show('bye', 100, true)).toBe('dead');
  });
});

describe('BatchQueue', () => {
  const m = (key: string) => ({ key });

  it('hands members out in arrival order, lingers when empty, and closes after the linger', () => {
    const clock = { t: 0 };
    const q = new BatchQueue<{ key: string }>(3000, () => clock.t);
    expect(q.join(m('a'))).toBe(true);
    expect(q.join(m('b'))).toBe(true);
    expect(q.lingerLeft()).toBeUndefined();
    expect(q.next()).toEqual(m('a'));
    expect(q.next()).toEqual(m('b'));
    expect(q.state).toBe('busy');
    clock.t = 1000;
    expect(q.next()).toBeUndefined();
    expect(q.state).toBe('lingering');
    clock.t = 2500;
    expect(q.next()).toBeUndefined(); // asking again does not restart the linger
    expect(q.lingerLeft()).toBe(1500);
    clock.t = 4000;
    expect(q.lingerLeft()).toBe(0);
    expect(q.close()).toEqual([]);
    expect(q.join(m('late'))).toBe(false);
    expect(q.next()).toBeUndefined();
  });

  it('a member arriving while it lingers gets its turn and the session is busy again', () => {
    const clock = { t: 0 };
    const q = new BatchQueue<{ key: string }>(3000, () => clock.t);
    expect(q.next()).toBeUndefined();
    clock.t = 2000;
    q.join(m('c'));
    expect(q.lingerLeft()).toBeUndefined();
    expect(q.next()).toEqual(m('c'));
    expect(q.state).toBe('busy');
    clock.t = 10_000;
    expect(q.next()).toBeUndefined();
    expect(q.lingerLeft()).toBe(3000);
  });

  it('removes a waiting member (cancelled before its turn); close hands back the members still waiting', () => {
    const q = new BatchQueue<{ key: string }>(3000, () => 0);
    for (const k of ['a', 'b', 'c']) q.join(m(k));
    expect(q.remove('b')).toBe(true);
    expect(q.remove('b')).toBe(false);
    expect(q.next()).toEqual(m('a'));
    expect(q.close()).toEqual([m('c')]);
    expect(q.size).toBe(0);
  });
});
