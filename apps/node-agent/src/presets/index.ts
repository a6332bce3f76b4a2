/**
 * Agent presets (claude, codex, gemini, qwen, opencode, aider, shell): how each starts, its memory
 * default and a data-driven state detector tested against screens captured from the real CLIs in
 * `fixtures/` (`npm run agents:capture`; aider's reconstructed from its docs).
 */
import type { AgentPreset, TaskDispatched } from '@shoal/protocol';
import { PRESETS } from './presets.js';
import type { PresetSpec } from './types.js';

export { PRESETS, presetArgv } from './presets.js';
export { StateDetector, stabilityKey, type Detection, type DetectorOptions, type PaneObservation } from './detector.js';
export type { AgentState, HomeFormat, PresetHome, McpFormat, PresetMcp, PresetMenu, PresetPatterns, PresetSpec } from './types.js';

/** The preset of a name. */
export function preset(name: AgentPreset): PresetSpec {
  return PRESETS[name];
}

/** The preset whose detector reads a task: its own, else `shell`. */
export function presetOfTask(task: Pick<TaskDispatched, 'agent'>): PresetSpec {
  return PRESETS[task.agent ?? 'shell'];
}

/** True when a task gets check-ins: `interactive` if set, else an interactive preset. */
export function isInteractiveTask(task: Pick<TaskDispatched, 'agent' | 'interactive'>): boolean {
  return task.interactive ?? (task.agent !== undefined && PRESETS[task.agent].interactive);
}
