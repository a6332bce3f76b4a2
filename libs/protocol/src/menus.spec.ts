import { AnswersField, ChooseOptionRequest, MENU_KEYS, SendKeysRequest, isMenuKey } from './menus.js';
import { copiedSpecFields } from './task-spec.js';
import { parsePlanText } from './plan-loader.js';

describe('MENU_KEYS: the key names shoal keys may press', () => {
  it('allows menu navigation, confirmation, C-c and one-character answers', () => {
    for (const k of ['Up', 'Down', 'Enter', 'Escape', 'Tab', 'BTab', 'Space', 'BSpace', 'PageUp', 'NPage', 'C-c', 'y', 'N', '0', '9']) expect(isMenuKey(k)).toBe(true);
    expect(MENU_KEYS).toHaveLength(new Set(MENU_KEYS).size);
  });

  it('refuses text, other control keys, wrong case and anything tmux would type literally', () => {
    for (const k of ['hello', 'yes', 'enter', 'ENTER', 'C-d', 'C-z', 'M-x', 'C-\\', '-l', 'Enter ', ' Enter', '', 'a', ';', 'rm -rf /', '10', 'F1', 'Enter;kill-server', '\x1b', 'Ü'])
      expect(isMenuKey(k)).toBe(false);
    expect(isMenuKey(1)).toBe(false);
    expect(isMenuKey(undefined)).toBe(false);
  });

  it('a request takes 1 to 32 allowed keys and says which one is refused', () => {
    expect(SendKeysRequest.parse({ keys: ['Down', 'Enter'] })).toEqual({ keys: ['Down', 'Enter'] });
    expect(SendKeysRequest.safeParse({ keys: [] }).success).toBe(false);
    expect(SendKeysRequest.safeParse({ keys: Array(33).fill('Down') }).success).toBe(false);
    const bad = SendKeysRequest.safeParse({ keys: ['Down', 'hello'] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['keys', 1] });
    expect(bad.error?.issues[0]?.message).toMatch(/not an allowed key name: "hello"/);
  });
});

describe('ChooseOptionRequest', () => {
  it('takes an option number or a one-line label', () => {
    expect(ChooseOptionRequest.parse({ option: 2 })).toEqual({ option: 2 });
    expect(ChooseOptionRequest.parse({ option: ' Yes, I trust ' })).toEqual({ option: 'Yes, I trust' });
    for (const option of [0, 1.5, '', '   ', 'a\nb', 'x'.repeat(201), null]) expect(ChooseOptionRequest.safeParse({ option }).success).toBe(false);
  });
});

describe('answers: plan field', () => {
  it('a map of menu id to choice becomes a list in order; true/false read as yes/no', () => {
    expect(AnswersField.parse({ trust: 'yes', 'api-key': true, 'sign-in': 3, other: false })).toEqual([
      { when: 'trust', choose: 'yes' },
      { when: 'api-key', choose: 'yes' },
      { when: 'sign-in', choose: 3 },
      { when: 'other', choose: 'no' },
    ]);
  });

  it('a list of {when, choose} with menu ids or /regex/ is kept', () => {
    const list = [{ when: '/Detected a custom API key/', choose: 'Yes' }, { when: 'trust', choose: 2 }];
    expect(AnswersField.parse(list)).toEqual(list);
  });

  it('refuses bad ids, bad regexes, empty answers and unknown fields', () => {
    for (const v of [{ 'Trust Folder': 'yes' }, [{ when: '/(/', choose: 'x' }], [{ when: '/', choose: 'x' }], {}, [], [{ when: 'trust', choose: 'yes', extra: 1 }], { trust: '' }])
      expect(AnswersField.safeParse(v).success).toBe(false);
  });
});

describe('answers: from plan text to the task spec', () => {
  it('YAML `{ trust: yes }` (a string in YAML 1.2) reaches TaskSpec.answers as a list', () => {
    const text = ['name: p', 'teams: [{ name: t }]', 'phases:', '  - id: a', '    tasks:', '      - { id: x, team: t, role: r, agent: claude, command: [claude], answers: { trust: yes, api-key: 1 } }'].join('\n');
    const parsed = parsePlanText(text);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const t = parsed.value.phases[0]!.tasks[0]!;
    expect(copiedSpecFields(t).answers).toEqual([{ when: 'trust', choose: 'yes' }, { when: 'api-key', choose: 1 }]);
  });
});
