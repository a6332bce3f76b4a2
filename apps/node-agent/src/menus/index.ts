/**
 * Answering agents' menus (docs/agents.md "Answering menus"): reading a menu's options from the
 * pane (`parse-menu`), naming and picking an option (`menu-options`), and pressing keys or choosing
 * on a live pane, verified from the screen (`menu-actions`).
 */
export { parseMenu, type ParsedMenu, type ParsedOption } from './parse-menu.js';
export { answerFor, findMenu, identifyMenu, keysFor, listOptions, menuView, pickOption, type FoundMenu } from './menu-options.js';
export { menuControl, type MenuControlResult } from './menu-control.js';
export { chooseOption, pressKeys, type ChooseOutcome, type KeysOutcome, type MenuTiming, type MenuTmux } from './menu-actions.js';
