import { MENU_KEYS, ValidationError, isMenuKey } from '@shoal/protocol';
import type { RegisterCommand } from './task-api.js';

/**
 * `shoal keys <run> <task> <key...>`: presses named keys (MENU_KEYS only, never text) in a running
 * task's pane and says whether its screen changed. `shoal choose <run> <task> <option>`: picks an
 * option of the menu the agent shows by number or label; exit code 1 when the screen did not change.
 */
export const registerKeysCommands: RegisterCommand = (program, { api, act, output }) => {
  program
    .command('keys <run> <task> <key...>')
    .description(`press named keys in a running task's pane (a menu): ${MENU_KEYS.join(' ')}; text goes through send`)
    .action(
      act(async (run: string, task: string, keys: string[]) => {
        const bad = keys.flatMap((k, i) => (isMenuKey(k) ? [] : [{ path: `keys[${i}]`, message: `not an allowed key name: ${JSON.stringify(k)} (allowed: ${MENU_KEYS.join(' ')}; type text with send)` }]));
        if (bad.length) throw new ValidationError(bad);
        output.show(await api().keys(run, task, keys), (r) => `${task}#${r.attempt} on ${r.nodeId}: ${r.message}`);
        return 0;
      }),
    );
  program
    .command('choose <run> <task> <option>')
    .description("pick an option of the menu a running task's agent shows, by its number or (part of) its label; moves to it, presses Enter, checks the screen changed")
    .action(
      act(async (run: string, task: string, option: string) => {
        const choice = /^\d{1,2}$/.test(option) ? Number(option) : option;
        const r = await api().choose(run, task, choice);
        output.show(r, (v) => `${task}#${v.attempt} on ${v.nodeId}: ${v.message}`);
        return r.changed ? 0 : 1;
      }),
    );
};
