import { CHECKIN_DEFAULTS, PRESET_MEMORY_MB, TASK_DEFAULTS, type PlanTask, type PlanTeam } from '@shoal/protocol';

/** What a compiled task carries about its agent: preset, interactivity and its team's check-ins. */
export interface AgentFields {
  agent?: PlanTask['agent'];
  interactive?: boolean;
  /** Check-in interval (team's `checkin`, default 15 min); set only for interactive tasks. */
  checkinMs?: number;
  checkinPrompt?: string;
}

/** Memory budget of a task: its own, else its preset's default, else the plan default. */
export function defaultMemoryMb(t: Pick<PlanTask, 'agent' | 'resources'>): number {
  return t.resources?.memory ?? (t.agent ? PRESET_MEMORY_MB[t.agent] : TASK_DEFAULTS.memory);
}

/** True for tasks that get check-ins: an agent preset other than `shell`, or `interactive: true`. */
export function isInteractive(t: Pick<PlanTask, 'agent' | 'interactive'>): boolean {
  return t.interactive ?? (t.agent !== undefined && t.agent !== 'shell');
}

/** Agent fields of a task given its team (absent fields stay absent). */
export function agentFields(t: PlanTask, team: PlanTeam | undefined): AgentFields {
  const out: AgentFields = {};
  if (t.agent) out.agent = t.agent;
  if (t.interactive !== undefined) out.interactive = t.interactive;
  if (isInteractive(t)) {
    out.checkinMs = team?.checkin ?? CHECKIN_DEFAULTS.intervalMs;
    out.checkinPrompt = team?.checkin_prompt ?? CHECKIN_DEFAULTS.prompt;
  }
  return out;
}
