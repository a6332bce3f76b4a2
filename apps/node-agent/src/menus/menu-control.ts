import { type ControlRequest, type MenuOptionView, type MenuView, taskKey } from '@shoal/protocol';
import type { RunningTask } from '../checkin/task-checkins.js';
import { presetOfTask } from '../presets/index.js';
import { type MenuTiming, type MenuTmux, chooseOption, pressKeys } from './menu-actions.js';

type MenuRequest = Extract<ControlRequest, { action: 'keys' | 'choose' }>;

/** Reply of the `keys` and `choose` control actions (fields of ControlReply). */
export interface MenuControlResult {
  ok: boolean;
  message: string;
  changed?: boolean;
  keys?: string[];
  menu?: MenuView;
  chosen?: MenuOptionView;
}

/**
 * `keys`: presses the allowed key names in the task's pane and says whether the screen changed.
 * `choose`: picks an option of the menu the agent shows (see {@link chooseOption}).
 */
export async function menuControl(req: MenuRequest, tmux: MenuTmux, running: RunningTask | undefined, timing?: MenuTiming): Promise<MenuControlResult> {
  const where = taskKey(req.runId, req.taskId);
  if (!running?.paneId || (req.attempt !== undefined && running.task.attempt !== req.attempt)) {
    return { ok: false, message: `task ${where}${req.attempt ? `#${req.attempt}` : ''} is not running on this node` };
  }
  const at = `${where}#${running.task.attempt}`;
  const preset = presetOfTask(running.task);
  if (req.action === 'keys') {
    const r = await pressKeys(tmux, running.paneId, preset, req.keys, timing);
    return { ok: true, message: `pressed ${r.keys.join(' ')} in ${at}: screen ${r.changed ? 'changed' : 'unchanged'}`, changed: r.changed, keys: r.keys };
  }
  const r = await chooseOption(tmux, running.paneId, preset, req.option, timing);
  if (!r.ok) return { ok: false, message: `${at}: ${r.reason}`, ...(r.menu ? { menu: r.menu } : {}) };
  const menu = r.menu.id ? `menu "${r.menu.id}"` : 'the menu';
  return {
    ok: true,
    message: `chose ${r.chosen.index}. ${r.chosen.label} on ${menu} of ${at} (${r.keys.join(' ')}): screen ${r.changed ? 'changed' : 'unchanged'}`,
    changed: r.changed,
    keys: r.keys,
    menu: r.menu,
    chosen: r.chosen,
  };
}
