/**
 * The pure part of answering an agent's menu from the task page (docs/agents.md "Answering
 * menus"): which keys get a button, how the typed option is read, and how the node's answers read.
 */
import type { MenuChoice, MenuKey, TaskChooseReply, TaskKeysReply } from './types.js';

/**
 * The keys offered as buttons: a subset of MENU_KEYS of @shoal/protocol (the allow-list the API
 * enforces). Listed here rather than imported because a value of the protocol would pull zod into
 * the page; `satisfies readonly MenuKey[]` keeps every name checked against MENU_KEYS at build
 * time, and the spec checks it at run time.
 */
export const MENU_BUTTON_KEYS = ['Up', 'Down', 'Enter', 'Escape', 'Tab', 'y', 'n'] as const satisfies readonly MenuKey[];

/** What a button shows for a key (arrows as arrows). */
export function keyCaption(key: MenuKey): string {
  return key === 'Up' ? '↑ Up' : key === 'Down' ? '↓ Down' : key === 'Escape' ? 'Esc' : key;
}

/**
 * The option the operator typed as the API takes it: a whole number 1-99 is the option's number,
 * anything else (trimmed) a label or part of one; undefined when empty.
 */
export function parseChoice(text: string): MenuChoice | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (/^\d{1,2}$/.test(t) && Number(t) >= 1) return Number(t);
  return t;
}

const changedWords = (changed: boolean) => (changed ? 'the screen changed' : 'the screen did not change');

/** `pressed Down: the screen changed`. */
export function describeKeysReply(r: TaskKeysReply): string {
  return `pressed ${r.keys.join(' ')}: ${changedWords(r.changed)}`;
}

/** `chose 2. Yes, I trust this folder (keys Down Enter): the screen changed`. */
export function describeChooseReply(r: TaskChooseReply): string {
  const keys = r.keys.length > 0 ? ` (keys ${r.keys.join(' ')})` : '';
  return `chose ${r.chosen.index}. ${r.chosen.label}${keys}: ${changedWords(r.changed)}`;
}
