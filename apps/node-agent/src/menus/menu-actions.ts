import { setTimeout as sleep } from 'node:timers/promises';
import { type MenuChoice, type MenuKey, type MenuOptionView, type MenuView } from '@shoal/protocol';
import { withPaneInput } from '../checkin/pane-input.js';
import { stabilityKey } from '../presets/detector.js';
import type { PresetSpec } from '../presets/types.js';
import type { TmuxDriver } from '../tmux/index.js';
import { type FoundMenu, findMenu, keysFor, listOptions, menuView, optionView, pickOption } from './menu-options.js';

/** What pressing keys needs from tmux (`sendKeys` leaves copy-mode first and checks key names). */
export type MenuTmux = Pick<TmuxDriver, 'sendKeys' | 'capturePane'>;

/** Timing of the screen checks (tests shorten them). */
export interface MenuTiming {
  /** How long to wait for the screen to change after keys (default 3 s). */
  changeTimeoutMs?: number;
  /** How long to wait for the marker to reach the option before Enter (default 3 s). */
  moveTimeoutMs?: number;
  pollMs?: number;
}

/** Result of {@link pressKeys}. */
export interface KeysOutcome {
  keys: MenuKey[];
  /** The screen changed (animation ignored) within the timeout. */
  changed: boolean;
}

/** Result of {@link chooseOption}: what was found and done, or why nothing was pressed. */
export type ChooseOutcome =
  | { ok: true; menu: MenuView; chosen: MenuOptionView; keys: string[]; changed: boolean }
  | { ok: false; reason: string; menu?: MenuView };

const animatedOf = (preset: PresetSpec) => preset.patterns.animated.map((p) => new RegExp(p, 'gm'));

/** Waits until the screen's stability key differs from `before`; false at the deadline. */
async function screenChanges(tmux: MenuTmux, paneId: string, preset: PresetSpec, before: string, t: MenuTiming): Promise<boolean> {
  const deadline = Date.now() + (t.changeTimeoutMs ?? 3000);
  const animated = animatedOf(preset);
  for (;;) {
    if (stabilityKey(await tmux.capturePane(paneId), animated) !== before) return true;
    if (Date.now() >= deadline) return false;
    await sleep(t.pollMs ?? 50);
  }
}

/**
 * Presses allowed key names (already validated against MENU_KEYS) in the pane as its only writer,
 * then watches whether the screen changes.
 */
export function pressKeys(tmux: MenuTmux, paneId: string, preset: PresetSpec, keys: MenuKey[], t: MenuTiming = {}): Promise<KeysOutcome> {
  return withPaneInput(paneId, async () => {
    const before = stabilityKey(await tmux.capturePane(paneId), animatedOf(preset));
    await tmux.sendKeys(paneId, keys);
    return { keys, changed: await screenChanges(tmux, paneId, preset, before, t) };
  });
}

/** Re-reads the menu until its marker is on `index` (arrows take a frame to show); the last menu read otherwise. */
async function markerOn(tmux: MenuTmux, paneId: string, preset: PresetSpec, index: number, t: MenuTiming): Promise<FoundMenu | undefined> {
  const deadline = Date.now() + (t.moveTimeoutMs ?? 3000);
  for (;;) {
    const m = findMenu(preset, await tmux.capturePane(paneId));
    if (!m || m.selected === index || Date.now() >= deadline) return m;
    await sleep(t.pollMs ?? 50);
  }
}

/**
 * Picks an option of the menu the pane shows: reads the menu (the preset's menu cue must be on
 * screen), finds the option (number or label, see {@link pickOption}), moves the marker there with
 * Up/Down (or types its letter), checks on screen that the marker reached it, presses Enter and
 * watches the screen change. Nothing is confirmed when the marker does not reach the option.
 */
export function chooseOption(tmux: MenuTmux, paneId: string, preset: PresetSpec, choice: MenuChoice, t: MenuTiming = {}): Promise<ChooseOutcome> {
  return withPaneInput(paneId, async () => {
    const screen = await tmux.capturePane(paneId);
    const menu = findMenu(preset, screen);
    if (!menu) return { ok: false, reason: `no menu with options on screen (${preset.name} preset); read it with capture, or press keys` };
    const view = menuView(menu);
    const pick = pickOption(menu, choice);
    if (!pick.ok) return { ok: false, reason: pick.reason, menu: view };
    const keys = keysFor(menu, pick.option, preset.chooseBy);
    if (!keys) return { ok: false, reason: `no option is marked as selected on the menu, cannot move to "${pick.option.label}"; options: ${listOptions(menu)}`, menu: view };
    const moves = keys.slice(0, -1);
    const chosen = optionView(pick.option);
    if (moves.length > 0) await tmux.sendKeys(paneId, moves);
    if (menu.layout === 'list') {
      const now = await markerOn(tmux, paneId, preset, pick.option.index, t);
      if (now?.selected !== pick.option.index) {
        return { ok: false, reason: `pressed ${moves.join(' ')} but the marker is on ${now?.selected ? `option ${now.selected}` : 'no option'}, not ${chosen.index}. ${chosen.label}: Enter not pressed`, menu: view };
      }
    }
    const before = stabilityKey(await tmux.capturePane(paneId), animatedOf(preset));
    await tmux.sendKeys(paneId, ['Enter']);
    return { ok: true, menu: view, chosen, keys, changed: await screenChanges(tmux, paneId, preset, before, t) };
  });
}
