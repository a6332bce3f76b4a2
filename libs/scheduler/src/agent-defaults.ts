import { CHECKIN_DEFAULTS, PRESET_MEMORY_MB, TASK_DEFAULTS, type PlanTask, type PlanTeam, type TaskSpec } from '@shoal/protocol';

/** What a compiled task takes from its team: check-in interval (default 15 min) and prompt, set only for interactive tasks. */
export type CheckinFields = Pick<TaskSpec, 'checkinMs' | 'checkinPrompt'>;

/** Memory budget of a task: its own, else its preset's default, else the plan default. */
export function defaultMemoryMb(t: Pick<PlanTask, 'agent' | 'resources'>): number {
  return t.resources?.memory ?? (t.agent ? PRESET_MEMORY_MB[t.agent] : TASK_DEFAULTS.memory);
}

/** True for tasks that get check-ins: an agent preset other than `shell`, or `interactive: true`. */
export function isInteractive(t: Pick<PlanTask, 'agent' | 'interactive'>): boolean {
  return t.interactive ?? (t.agent !== undefined && t.agent !== 'shell');
}

/** Check-in fields of a task given its team (absent fields stay absent). */
export function checkinFields(t: PlanTask, team: PlanTeam | undefined): CheckinFields {
  const out: CheckinFields = {};
  if (isInteractive(t)) {
    out.checkinMs = team?.checkin ?? CHECKIN_DEFAULTS.intervalMs;
    out.checkinPrompt = team?.checkin_prompt ?? CHECKIN_DEFAULTS.prompt;
  }
  return out;
}
