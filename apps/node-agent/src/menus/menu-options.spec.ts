import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRESETS } from '../presets/index.js';
import { answerFor, findMenu, identifyMenu, keysFor, pickOption } from './menu-options.js';

const FIXTURES = join(process.cwd(), 'apps/node-agent/src/presets/fixtures');
const screen = (cli: string, file: string) => readFileSync(join(FIXTURES, cli, `${file}.txt`), 'utf8');
const menuOf = (cli: keyof typeof PRESETS, file: string) => findMenu(PRESETS[cli], screen(cli, file))!;

describe('menu ids from the captures', () => {
  it.each([
    ['claude', 'menu-trust-folder', 'trust'],
    ['claude', 'menu-trust-folder-no-key', 'trust'],
    ['claude', 'menu-api-key', 'api-key'],
    ['codex', 'menu-trust-folder', 'trust'],
    ['codex', 'menu-sign-in', 'sign-in'],
    ['codex', 'menu-sign-in-other', 'sign-in-other'],
    ['codex', 'menu-api-key', 'api-key'],
    ['codex', 'menu-task-running', 'task-running'],
    ['gemini', 'menu-trust-folder', 'trust'],
    ['gemini', 'menu-auth', 'auth'],
    ['gemini', 'menu-auth-google', 'auth'],
    // the trust dialog lingers above the key entry: the lowest match wins
    ['gemini', 'menu-api-key', 'api-key'],
    ['gemini', 'menu-auth-code', 'auth-code'],
    ['qwen', 'menu-connect-provider', 'provider'],
    ['qwen', 'menu-access-method', 'access-method'],
    ['aider', 'menu-confirm', 'confirm'],
  ] as const)('%s %s is "%s"', (cli, file, id) => {
    expect(identifyMenu(PRESETS[cli], screen(cli, file))?.id).toBe(id);
  });

  it('a preset without menu cues (shell: interactive: true) relies on the parser alone', () => {
    expect(findMenu(PRESETS.shell, screen('claude', 'menu-trust-folder'))?.options.map((o) => o.label)).toEqual(['No, exit', 'Yes, I trust this folder']);
    expect(findMenu(PRESETS.shell, screen('claude', 'waiting-input'))).toBeUndefined();
  });

  it('input boxes and turns are no menu', () => {
    for (const cli of ['claude', 'codex', 'gemini', 'qwen'] as const) expect(findMenu(PRESETS[cli], screen(cli, 'waiting-input'))).toBeUndefined();
  });
});

describe('pickOption', () => {
  it('by number: the printed number, else the position', () => {
    expect(pickOption(menuOf('codex', 'menu-sign-in'), 3)).toMatchObject({ ok: true, option: { index: 3, label: 'Sign in another way' } });
    expect(pickOption(menuOf('claude', 'menu-trust-folder'), '2')).toMatchObject({ ok: true, option: { label: 'Yes, I trust this folder' } });
    expect(pickOption(menuOf('claude', 'menu-trust-folder'), 3)).toEqual({ ok: false, reason: 'no option 3 on the menu; options: 1. No, exit | 2. Yes, I trust this folder' });
  });

  it('by label: exact, then prefix, then contained, case-insensitive', () => {
    expect(pickOption(menuOf('claude', 'menu-api-key'), 'YES')).toMatchObject({ ok: true, option: { index: 1 } });
    expect(pickOption(menuOf('claude', 'menu-api-key'), 'no')).toMatchObject({ ok: true, option: { index: 2 } });
    expect(pickOption(menuOf('gemini', 'menu-auth'), 'api key')).toMatchObject({ ok: true, option: { label: 'Use Gemini API Key' } });
    expect(pickOption(menuOf('codex', 'menu-task-running'), 'background')).toMatchObject({ ok: true, option: { index: 2 } });
  });

  it('aliases say what yes and no mean on a known menu', () => {
    expect(pickOption(menuOf('claude', 'menu-trust-folder'), 'yes')).toMatchObject({ ok: true, option: { index: 2 } });
    expect(pickOption(menuOf('codex', 'menu-trust-folder'), 'Yes')).toMatchObject({ ok: true, option: { label: 'Trust and continue' } });
    expect(pickOption(menuOf('gemini', 'menu-trust-folder'), 'yes')).toMatchObject({ ok: true, option: { label: 'Trust folder (repo)' } });
    expect(pickOption(menuOf('gemini', 'menu-trust-folder'), 'no')).toMatchObject({ ok: true, option: { label: "Don't trust" } });
  });

  it('ambiguous or missing: a clear error listing the options', () => {
    expect(pickOption(menuOf('codex', 'menu-sign-in'), 'sign in')).toEqual({ ok: false, reason: '"sign in" matches 3 options (1. Sign in with ChatGPT | 2. Sign in with Device Code | 3. Sign in another way); give its number' });
    expect(pickOption(menuOf('qwen', 'menu-connect-provider'), 'ollama')).toEqual({
      ok: false,
      reason: 'no option matches "ollama"; options: 1. Alibaba ModelStudio | 2. Third-party Providers | 3. Custom Provider',
    });
  });
});

describe('keysFor', () => {
  it('arrows from the selected option, then Enter', () => {
    const m = menuOf('gemini', 'menu-auth');
    expect(keysFor(m, m.options[0]!)).toEqual(['Up', 'Enter']);
    expect(keysFor(m, m.options[1]!)).toEqual(['Enter']);
    expect(keysFor(m, m.options[2]!)).toEqual(['Down', 'Enter']);
    const q = menuOf('qwen', 'menu-access-method');
    expect(keysFor(q, q.options[2]!)).toEqual(['Down', 'Down', 'Enter']);
  });

  it("letters for aider's inline question", () => {
    const m = menuOf('aider', 'menu-confirm');
    expect(keysFor(m, m.options[1]!, PRESETS.aider.chooseBy)).toEqual(['n', 'Enter']);
  });
});

describe('answerFor', () => {
  it('the first answer whose menu id or /regex/ matches', () => {
    const trust = menuOf('claude', 'menu-trust-folder');
    const answers = [{ when: 'api-key', choose: 'yes' }, { when: 'trust', choose: 'yes' }, { when: '/Security guide/', choose: 1 }];
    expect(answerFor(answers, trust, screen('claude', 'menu-trust-folder'))).toEqual({ when: 'trust', choose: 'yes' });
    expect(answerFor([{ when: '/security GUIDE/', choose: 1 }], trust, screen('claude', 'menu-trust-folder'))).toEqual({ when: '/security GUIDE/', choose: 1 });
    expect(answerFor([{ when: 'api-key', choose: 'yes' }], trust, screen('claude', 'menu-trust-folder'))).toBeUndefined();
    expect(answerFor(undefined, trust, '')).toBeUndefined();
  });
});
