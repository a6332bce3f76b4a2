import { PRESETS } from '../presets/index.js';
import { chooseOption, pressKeys } from './menu-actions.js';

const FAST = { changeTimeoutMs: 200, moveTimeoutMs: 200, pollMs: 5 };

/** A pane showing claude's trust menu that follows Up/Down and leaves the menu on Enter (or ignores every key: `stuck`). */
function trustPane(options: { stuck?: boolean } = {}) {
  const labels = ['No, exit', 'Yes, I trust this folder'];
  let selected = 0;
  let answered: string | undefined;
  const pressed: string[] = [];
  return {
    pressed,
    answered: () => answered,
    capturePane: async () =>
      answered !== undefined
        ? `answered: ${answered}`
        : [' Quick safety check: Is this a project you created or one you trust?', '', ...labels.map((l, i) => ` ${i === selected ? '❯' : ' '} ${l}`), '', ' Enter to confirm · Esc to cancel'].join('\n'),
    sendKeys: async (_pane: string, keys: readonly string[]) => {
      pressed.push(...keys);
      if (options.stuck) return;
      for (const k of keys) {
        if (k === 'Down') selected = Math.min(labels.length - 1, selected + 1);
        if (k === 'Up') selected = Math.max(0, selected - 1);
        if (k === 'Enter') answered = labels[selected];
      }
    },
  };
}

describe('chooseOption on a live pane (fake tmux)', () => {
  it('moves the marker to the option, checks it is there, presses Enter and sees the screen change', async () => {
    const pane = trustPane();
    const r = await chooseOption(pane, '%1', PRESETS.claude, 'yes', FAST);
    expect(r).toEqual({ ok: true, menu: { id: 'trust', options: [{ index: 1, label: 'No, exit' }, { index: 2, label: 'Yes, I trust this folder' }], selected: 1 }, chosen: { index: 2, label: 'Yes, I trust this folder' }, keys: ['Down', 'Enter'], changed: true });
    expect(pane.answered()).toBe('Yes, I trust this folder');
  });

  it('by number, on the option already selected: Enter only', async () => {
    const pane = trustPane();
    expect(await chooseOption(pane, '%1', PRESETS.claude, 1, FAST)).toMatchObject({ ok: true, keys: ['Enter'] });
    expect(pane.answered()).toBe('No, exit');
  });

  it('never presses Enter when the marker did not reach the option', async () => {
    const pane = trustPane({ stuck: true });
    const r = await chooseOption(pane, '%1', PRESETS.claude, 'yes', FAST);
    expect(r).toMatchObject({ ok: false, reason: 'pressed Down but the marker is on option 1, not 2. Yes, I trust this folder: Enter not pressed' });
    expect(pane.pressed).toEqual(['Down']);
  });

  it('an unknown option or no menu: nothing pressed, the options listed', async () => {
    const pane = trustPane();
    expect(await chooseOption(pane, '%1', PRESETS.claude, 'maybe', FAST)).toMatchObject({ ok: false, reason: 'no option matches "maybe"; options: 1. No, exit | 2. Yes, I trust this folder' });
    const prompt = { capturePane: async () => '❯ \n? for shortcuts', sendKeys: async () => undefined };
    expect(await chooseOption(prompt, '%1', PRESETS.claude, 1, FAST)).toMatchObject({ ok: false, reason: expect.stringMatching(/^no menu with options on screen/) });
    expect(pane.pressed).toEqual([]);
  });
});

describe('pressKeys', () => {
  it('says whether the screen changed', async () => {
    const pane = trustPane();
    expect(await pressKeys(pane, '%1', PRESETS.claude, ['Down'], FAST)).toEqual({ keys: ['Down'], changed: true });
    expect(await pressKeys(pane, '%1', PRESETS.claude, ['Down'], FAST)).toEqual({ keys: ['Down'], changed: false });
  });
});
