import type { MenuAnswer, MenuChoice, MenuView } from '@shoal/protocol';
import type { PresetMenu, PresetSpec } from '../presets/types.js';
import { type ParsedMenu, type ParsedOption, parseMenu } from './parse-menu.js';

/** A menu found on a screen: the options read, and the preset's entry for it if it knows it. */
export interface FoundMenu extends ParsedMenu {
  known?: PresetMenu;
}

/** The lowest line where `source` matches `screen` (case-insensitive, multi-line), or -1. */
function lowestMatch(screen: string, source: string): number {
  const re = new RegExp(source, 'gim');
  let line = -1;
  for (const m of screen.matchAll(re)) line = Math.max(line, screen.slice(0, m.index).split('\n').length - 1);
  return line;
}

/** The preset's menu shown on `screen`: of those whose `match` is found, the one found lowest. */
export function identifyMenu(preset: Pick<PresetSpec, 'menus'>, screen: string): PresetMenu | undefined {
  let best: { menu: PresetMenu; line: number } | undefined;
  for (const menu of preset.menus ?? []) {
    const line = lowestMatch(screen, menu.match);
    if (line >= 0 && (!best || line > best.line)) best = { menu, line };
  }
  return best?.menu;
}

/**
 * True when the preset's menu cues (`patterns.menu`) are on the screen: the detector's own test of
 * a dialog. A preset without menu cues (`shell`: a home-grown `interactive: true` agent) leaves it
 * to the option parser alone.
 */
export function showsMenuCue(preset: Pick<PresetSpec, 'patterns'>, screen: string): boolean {
  return preset.patterns.menu.length === 0 || preset.patterns.menu.some((p) => new RegExp(p, 'im').test(screen));
}

/** The menu on `screen` with options to choose from, or undefined (no menu cue, or no options readable). */
export function findMenu(preset: Pick<PresetSpec, 'menus' | 'patterns'>, screen: string): FoundMenu | undefined {
  if (!showsMenuCue(preset, screen)) return undefined;
  const parsed = parseMenu(screen);
  return parsed && { ...parsed, known: identifyMenu(preset, screen) };
}

/** The wire view of a found menu. */
export function menuView(m: FoundMenu): MenuView {
  return { ...(m.known ? { id: m.known.id } : {}), options: m.options.map(optionView), ...(m.selected ? { selected: m.selected } : {}) };
}

/** The wire view of an option. */
export function optionView(o: ParsedOption): MenuView['options'][number] {
  return { index: o.index, label: o.label, ...(o.key ? { key: o.key } : {}) };
}

/** The options as one line for error messages: `1. No, exit | 2. Yes, I trust this folder`. */
export function listOptions(m: Pick<ParsedMenu, 'options'>): string {
  return m.options.map((o) => `${o.index}. ${o.label}`).join(' | ');
}

/** The option `choice` names, or why none does. */
export type OptionPick = { ok: true; option: ParsedOption } | { ok: false; reason: string };

const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * Finds the option named by `choice`: a number is the option's printed number (`2.`), else its
 * position from the top; a text is first looked up in the menu's aliases (`yes` -> its label),
 * then matched case-insensitively: an exact label, else labels starting with it, else labels
 * containing it. Several at the first level that matches: ambiguous. Errors list the options.
 */
export function pickOption(m: FoundMenu, choice: MenuChoice): OptionPick {
  const options = m.options;
  const asNumber = typeof choice === 'number' ? choice : /^\d{1,2}$/.test(choice.trim()) ? Number(choice.trim()) : undefined;
  if (asNumber !== undefined) {
    const numbered = options.some((o) => o.number !== undefined);
    const option = options.find((o) => (numbered ? o.number : o.index) === asNumber);
    return option ? { ok: true, option } : { ok: false, reason: `no option ${asNumber} on the menu; options: ${listOptions(m)}` };
  }
  const text = String(choice);
  const aliased = Object.entries(m.known?.aliases ?? {}).find(([k]) => norm(k) === norm(text))?.[1] ?? text;
  const wanted = norm(aliased);
  const byKey = options.filter((o) => o.key !== undefined && wanted.length === 1 && o.key === wanted);
  for (const level of [byKey, options.filter((o) => norm(o.label) === wanted), options.filter((o) => norm(o.label).startsWith(wanted)), options.filter((o) => norm(o.label).includes(wanted))]) {
    if (level.length === 1) return { ok: true, option: level[0]! };
    if (level.length > 1) return { ok: false, reason: `"${text}" matches ${level.length} options (${level.map((o) => `${o.index}. ${o.label}`).join(' | ')}); give its number` };
  }
  return { ok: false, reason: `no option matches "${text}"; options: ${listOptions(m)}` };
}

/**
 * The keys that select `target` and confirm it: its letter then Enter (`letters`, or an inline
 * question), else Up/Down from the selected option, then Enter. Undefined when the marker's
 * position is unknown.
 */
export function keysFor(m: FoundMenu, target: ParsedOption, chooseBy: PresetSpec['chooseBy'] = 'arrows'): string[] | undefined {
  if ((chooseBy === 'letters' || m.layout === 'inline') && target.key) return [target.key, 'Enter'];
  if (m.selected === undefined) return undefined;
  const delta = target.index - m.selected;
  return [...Array<string>(Math.abs(delta)).fill(delta > 0 ? 'Down' : 'Up'), 'Enter'];
}

/**
 * The declared answer for a menu on screen: the first of `answers` whose `when` is the menu's id
 * (`trust`) or a `/regex/` found on the screen (case-insensitive).
 */
export function answerFor(answers: readonly MenuAnswer[] | undefined, m: FoundMenu, screen: string): MenuAnswer | undefined {
  return answers?.find((a) => {
    if (a.when.startsWith('/')) return new RegExp(a.when.slice(1, -1), 'im').test(screen);
    return m.known?.id === a.when;
  });
}
