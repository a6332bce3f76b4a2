import { z } from 'zod';

/**
 * Answering agents' menus (docs/agents.md "Answering menus"): the tmux key names an operator may
 * press in a task's pane (`shoal keys`), the option an operator picks (`shoal choose`) and the
 * answers a plan declares for menus a preset recognises (`answers:`).
 */

/**
 * The tmux key names `shoal keys` may press, one per element, sent with `send-keys` (never `-l`):
 * moving in a menu (arrows, Home/End, pages, Tab/BTab), confirming or leaving it (Enter, Escape,
 * Space, BSpace), interrupting (C-c), and the one-character answers menus take (y, n, Y, N,
 * digits). Nothing else: a longer word would be typed by tmux as literal text, and control keys
 * such as C-d or C-z would end or suspend the agent; text goes through `shoal send`.
 */
export const MENU_KEYS = [
  'Up', 'Down', 'Left', 'Right', 'Home', 'End', 'PageUp', 'PageDown', 'PPage', 'NPage', 'Tab', 'BTab',
  'Enter', 'Escape', 'Space', 'BSpace', 'C-c',
  'y', 'n', 'Y', 'N', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
] as const;
export type MenuKey = (typeof MENU_KEYS)[number];

/** How many keys one `shoal keys` request may press. */
export const MENU_KEYS_MAX = 32;

const KEY_SET: ReadonlySet<string> = new Set(MENU_KEYS);

/** True when `k` is a key name of {@link MENU_KEYS} (exact, case-sensitive: `enter` is not `Enter`). */
export function isMenuKey(k: unknown): k is MenuKey {
  return typeof k === 'string' && KEY_SET.has(k);
}

const MenuKeyName = z.custom<MenuKey>(isMenuKey, { error: (i) => `not an allowed key name: ${JSON.stringify(i.input)} (allowed: ${MENU_KEYS.join(' ')}; type text with send)` });

/** The keys of one request: 1 to {@link MENU_KEYS_MAX} names of {@link MENU_KEYS}. */
export const MenuKeyList = z.array(MenuKeyName).min(1, 'give at least one key').max(MENU_KEYS_MAX, `at most ${MENU_KEYS_MAX} keys at once`);

/** `POST /runs/:id/tasks/:task/keys {keys}`: key names pressed in the running task's pane, in order. */
export const SendKeysRequest = z.object({ keys: MenuKeyList });
export type SendKeysRequest = z.infer<typeof SendKeysRequest>;

/** An option as the operator names it: its number on the menu (1 = top) or a case-insensitive part of its label. */
export const MenuChoice = z.union([
  z.number().int().min(1).max(99),
  z.string().trim().min(1).max(200).refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters'),
]);
export type MenuChoice = z.infer<typeof MenuChoice>;

/** `POST /runs/:id/tasks/:task/choose {option}`: picks an option of the menu the agent shows. */
export const ChooseOptionRequest = z.object({ option: MenuChoice });
export type ChooseOptionRequest = z.infer<typeof ChooseOptionRequest>;

/** One option of a menu read from the screen. */
export const MenuOptionView = z.strictObject({
  /** 1 = the top option. */
  index: z.number().int().min(1),
  label: z.string().max(500),
  /** The key that picks it directly (aider's `(Y)es`: `y`). */
  key: z.string().max(1).optional(),
});
export type MenuOptionView = z.infer<typeof MenuOptionView>;

/** A menu a preset recognised on screen: its id (from the preset) and its options. */
export const MenuView = z.strictObject({
  /** The preset's id of this menu (`trust`, `api-key`...); absent for a menu the preset does not know. */
  id: z.string().max(100).optional(),
  options: z.array(MenuOptionView).max(50),
  /** Index of the option the cursor is on. */
  selected: z.number().int().min(1).optional(),
});
export type MenuView = z.infer<typeof MenuView>;

/** Which attempt a pane request reached, and the node's word on it. */
interface MenuReplyBase {
  runId: string;
  taskId: string;
  attempt: number;
  nodeId: string;
  message: string;
  /** The screen changed after the keys (or the choice): false means the agent showed the same screen. */
  changed: boolean;
}

/** Answer of `POST /runs/:id/tasks/:task/keys`. */
export interface TaskKeysReply extends MenuReplyBase {
  keys: MenuKey[];
}

/** Answer of `POST /runs/:id/tasks/:task/choose`: the menu as found, the option chosen and the keys pressed. */
export interface TaskChooseReply extends MenuReplyBase {
  menu: MenuView;
  chosen: MenuOptionView;
  keys: string[];
}

/** A menu id (`trust`, `api-key`) or `/regex/` matched against the menu's screen. */
const AnswerWhen = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => {
    if (!s.startsWith('/')) return /^[a-z0-9][a-z0-9-]*$/.test(s);
    try {
      new RegExp(s.replace(/^\/|\/$/g, ''), 'i');
      return s.length > 2 && s.endsWith('/');
    } catch {
      return false;
    }
  }, 'must be a menu id (lower-case words joined by dashes, e.g. trust) or a /regular expression/');

/** One declared answer: when the agent shows menu `when`, choose `choose`. */
export const MenuAnswer = z.strictObject({ when: AnswerWhen, choose: MenuChoice });
export type MenuAnswer = z.infer<typeof MenuAnswer>;

/** The answers of a task as the node receives them: in declaration order, the first that matches applies. */
export const MenuAnswerList = z.array(MenuAnswer).min(1).max(20);
export type MenuAnswerList = z.infer<typeof MenuAnswerList>;

/**
 * The plan's `answers:` on an agent task: a map `{ <menu id>: <label|number> }` (e.g.
 * `{ trust: yes, api-key: yes }`; `true`/`false` read as yes/no) or a list of `{ when: <menu id | /regex/>, choose: <label|number> }`.
 * Normalised to a {@link MenuAnswerList}.
 */
export const AnswersField = z
  .union([MenuAnswerList, z.record(z.string(), z.union([MenuChoice, z.boolean().transform((b) => (b ? 'yes' : 'no'))]))])
  .transform((v) => (Array.isArray(v) ? v : Object.entries(v).map(([when, choose]) => ({ when, choose }))))
  .pipe(MenuAnswerList);
