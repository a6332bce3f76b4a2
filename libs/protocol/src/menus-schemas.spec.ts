import { ChooseOptionRequest, MenuAnswer, MenuOptionView, MenuView, SendKeysRequest } from './menus.js';

/**
 * The menu schemas at their edges: the messages `shoal keys`, `shoal choose` and `answers:` refuse
 * with (by path), and the menu a node reads off the screen (MenuOptionView, MenuView) with each
 * bound at its edge and a full value decoded exactly. Every value is built inside the test that
 * checks it.
 */

type Obj = Record<string, any>;

function issuesOf(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: Obj[] } } }, value: unknown): Obj[] {
  const r = schema.safeParse(value);
  if (r.success) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
  return r.error!.issues;
}

describe('shoal keys: how many keys', () => {
  it('refuses an empty list with "give at least one key" on keys', () => {
    expect(issuesOf(SendKeysRequest, { keys: [] })).toEqual([expect.objectContaining({ code: 'too_small', path: ['keys'], message: 'give at least one key' })]);
  });

  it('takes exactly 32 keys', () => {
    const keys = Array.from({ length: 32 }, () => 'Down');
    expect(SendKeysRequest.parse({ keys })).toEqual({ keys });
  });

  it('refuses 33 keys with "at most 32 keys at once" on keys', () => {
    const keys = Array.from({ length: 33 }, () => 'Down');
    expect(issuesOf(SendKeysRequest, { keys })).toEqual([expect.objectContaining({ code: 'too_big', path: ['keys'], message: 'at most 32 keys at once' })]);
  });
});

describe('shoal choose: a label with control characters', () => {
  it.each([['a bell', 'Yes\u0007'], ['a newline', 'Yes\nNo'], ['DEL', 'Yes\u007f']])('refuses %s with "must not contain control characters"', (_what, option) => {
    expect(issuesOf(ChooseOptionRequest, { option })).toEqual([
      expect.objectContaining({ code: 'custom', path: ['option'], message: 'must not contain control characters' }),
    ]);
  });
});

describe('answers: the message for a bad when', () => {
  it.each(['Trust', 'trust folder', '/trust', '//'])('refuses when %j with the menu-id-or-regex message on when', (when) => {
    expect(issuesOf(MenuAnswer, { when, choose: 'yes' })).toEqual([
      expect.objectContaining({
        code: 'custom',
        path: ['when'],
        message: 'must be a menu id (lower-case words joined by dashes, e.g. trust) or a /regular expression/',
      }),
    ]);
  });
});

describe('MenuOptionView: one option read from the screen', () => {
  it('decodes a full option exactly', () => {
    expect(MenuOptionView.parse({ index: 2, label: 'Yes, proceed', key: 'y' })).toEqual({ index: 2, label: 'Yes, proceed', key: 'y' });
  });

  it('decodes an option without key, the key left out', () => {
    expect(MenuOptionView.parse({ index: 1, label: '' })).toEqual({ index: 1, label: '' });
  });

  it('takes index 1 and 3, refuses 0, -1 and 1.5 on index', () => {
    expect(MenuOptionView.parse({ index: 1, label: 'a' }).index).toBe(1);
    expect(MenuOptionView.parse({ index: 3, label: 'a' }).index).toBe(3);
    for (const index of [0, -1, 1.5]) expect(issuesOf(MenuOptionView, { index, label: 'a' })).toEqual([expect.objectContaining({ path: ['index'] })]);
  });

  it('takes a label of 500 characters and refuses 501 on label', () => {
    const label = 'x'.repeat(500);
    expect(MenuOptionView.parse({ index: 1, label }).label).toBe(label);
    expect(issuesOf(MenuOptionView, { index: 1, label: 'x'.repeat(501) })).toEqual([expect.objectContaining({ code: 'too_big', maximum: 500, path: ['label'] })]);
  });

  it('takes an empty key and a one-character key, refuses two characters on key', () => {
    expect(MenuOptionView.parse({ index: 1, label: 'a', key: '' }).key).toBe('');
    expect(MenuOptionView.parse({ index: 1, label: 'a', key: 'Y' }).key).toBe('Y');
    expect(issuesOf(MenuOptionView, { index: 1, label: 'a', key: 'yy' })).toEqual([expect.objectContaining({ code: 'too_big', maximum: 1, path: ['key'] })]);
  });

  it('refuses a missing index or label and an unknown field', () => {
    expect(issuesOf(MenuOptionView, { label: 'a' })).toEqual([expect.objectContaining({ code: 'invalid_type', path: ['index'] })]);
    expect(issuesOf(MenuOptionView, { index: 1 })).toEqual([expect.objectContaining({ code: 'invalid_type', path: ['label'] })]);
    expect(issuesOf(MenuOptionView, { index: 1, label: 'a', hint: 'x' })).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['hint'] })]);
  });
});

describe('MenuView: a menu a preset recognised', () => {
  function options(count: number): Obj[] {
    return Array.from({ length: count }, (_, i) => ({ index: i + 1, label: `option ${i + 1}` }));
  }

  it('decodes a full menu exactly', () => {
    const menu = { id: 'trust', options: [{ index: 1, label: 'Yes', key: 'y' }, { index: 2, label: 'No' }], selected: 2 };
    expect(MenuView.parse(menu)).toEqual({ id: 'trust', options: [{ index: 1, label: 'Yes', key: 'y' }, { index: 2, label: 'No' }], selected: 2 });
  });

  it('takes a menu with no id, no selection and no options', () => {
    expect(MenuView.parse({ options: [] })).toEqual({ options: [] });
  });

  it('takes an id of 100 characters and refuses 101 on id', () => {
    const id = 'a'.repeat(100);
    expect(MenuView.parse({ id, options: [] }).id).toBe(id);
    expect(issuesOf(MenuView, { id: 'a'.repeat(101), options: [] })).toEqual([expect.objectContaining({ code: 'too_big', maximum: 100, path: ['id'] })]);
  });

  it('takes 50 options and refuses 51 on options', () => {
    expect(MenuView.parse({ options: options(50) }).options).toHaveLength(50);
    expect(issuesOf(MenuView, { options: options(51) })).toEqual([expect.objectContaining({ code: 'too_big', maximum: 50, path: ['options'] })]);
  });

  it('checks each option: a bad index is refused at its path', () => {
    expect(issuesOf(MenuView, { options: [{ index: 1, label: 'a' }, { index: 0, label: 'b' }] })).toEqual([expect.objectContaining({ path: ['options', 1, 'index'] })]);
  });

  it('takes selected 1 and 2, refuses 0 and 1.5 on selected', () => {
    expect(MenuView.parse({ options: options(2), selected: 1 }).selected).toBe(1);
    expect(MenuView.parse({ options: options(2), selected: 2 }).selected).toBe(2);
    for (const selected of [0, 1.5]) expect(issuesOf(MenuView, { options: [], selected })).toEqual([expect.objectContaining({ path: ['selected'] })]);
  });

  it('refuses missing options and an unknown field', () => {
    expect(issuesOf(MenuView, {})).toEqual([expect.objectContaining({ code: 'invalid_type', path: ['options'] })]);
    expect(issuesOf(MenuView, { options: [], title: 'x' })).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['title'] })]);
  });
});
