import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MenuAnswer, MenuChoice, TaskDispatched } from '@shoal/protocol';
import type { ChooseOutcome } from '../menus/index.js';
import type { WatchedAttempt } from './agent-states.js';
import { MenuAnswers } from './menu-answers.js';

const FIXTURES = join(process.cwd(), 'apps/node-agent/src/presets/fixtures');
const screen = (cli: string, file: string) => readFileSync(join(FIXTURES, cli, `${file}.txt`), 'utf8');
const TRUST = screen('claude', 'menu-trust-folder');
const API_KEY = screen('claude', 'menu-api-key');

function attempt(answers: MenuAnswer[] | undefined, n = 1): WatchedAttempt {
  return { key: 'r-1/lead', paneId: '%1', state: 'running', task: { runId: 'r-1', taskId: 'lead', attempt: n, agent: 'claude', answers } as TaskDispatched };
}

function setup(outcome: (choice: MenuChoice) => ChooseOutcome = (c) => ({ ok: true, menu: { options: [] }, chosen: { index: 2, label: String(c) }, keys: ['Down', 'Enter'], changed: true })) {
  const chosen: MenuChoice[] = [];
  const notes: string[] = [];
  const answers = new MenuAnswers({
    choose: async (_a, c) => (chosen.push(c), outcome(c)),
    note: (_a, t) => notes.push(t),
    warn: (m) => notes.push(`warn: ${m}`),
  });
  return { answers, chosen, notes };
}

const menu = (s: string, stableForMs = 5000) => ({ state: 'menu' as const, screen: s, stableForMs });

describe('MenuAnswers: a task\'s answers: applied by policy', () => {
  it('chooses the declared answer for a menu the preset recognises, once per appearance', async () => {
    const { answers, chosen, notes } = setup();
    const a = attempt([{ when: 'trust', choose: 'yes' }, { when: 'api-key', choose: 'no' }]);
    expect(await answers.observe(a, menu(TRUST))).toBe('chosen');
    expect(await answers.observe(a, menu(TRUST))).toBe('none');
    expect(await answers.observe(a, menu(API_KEY))).toBe('chosen');
    expect(chosen).toEqual(['yes', 'no']);
    expect(notes[0]).toBe('menu "trust": answers chose 2. yes (Down Enter)');
    expect(answers.counts).toEqual({ chosen: 2, unchanged: 0, failed: 0 });
  });

  it('the same menu again after the agent left it is answered again', async () => {
    const { answers, chosen } = setup();
    const a = attempt([{ when: 'trust', choose: 'yes' }]);
    await answers.observe(a, menu(TRUST));
    await answers.observe(a, { state: 'waiting-for-input', screen: '❯ ', stableForMs: 5000 });
    await answers.observe(a, menu(TRUST));
    expect(chosen).toEqual(['yes', 'yes']);
  });

  it('waits for a stable screen; leaves unknown menus and tasks without answers alone', async () => {
    const { answers, chosen } = setup();
    expect(await answers.observe(attempt([{ when: 'trust', choose: 'yes' }]), menu(TRUST, 100))).toBe('none');
    expect(await answers.observe(attempt([{ when: 'api-key', choose: 'yes' }]), menu(TRUST))).toBe('none');
    expect(await answers.observe(attempt(undefined), menu(TRUST))).toBe('none');
    expect(chosen).toEqual([]);
  });

  it('a /regex/ answer matches the screen', async () => {
    const { answers, chosen } = setup();
    expect(await answers.observe(attempt([{ when: '/quick safety check/', choose: 2 }]), menu(TRUST))).toBe('chosen');
    expect(chosen).toEqual([2]);
  });

  it('a choice that fails or changes nothing is reported and not repeated', async () => {
    const { answers, chosen, notes } = setup(() => ({ ok: false, reason: 'no option matches "maybe"; options: 1. No, exit | 2. Yes, I trust this folder' }));
    const a = attempt([{ when: 'trust', choose: 'maybe' }]);
    expect(await answers.observe(a, menu(TRUST))).toBe('failed');
    expect(await answers.observe(a, menu(TRUST))).toBe('none');
    expect(chosen).toEqual(['maybe']);
    expect(notes).toEqual(['menu "trust": answers chose nothing: no option matches "maybe"; options: 1. No, exit | 2. Yes, I trust this folder (left for the operator)']);
  });

  it('a new attempt starts afresh', async () => {
    const { answers, chosen } = setup();
    await answers.observe(attempt([{ when: 'trust', choose: 'yes' }], 1), menu(TRUST));
    await answers.observe(attempt([{ when: 'trust', choose: 'yes' }], 2), menu(TRUST));
    expect(chosen).toHaveLength(2);
  });
});
