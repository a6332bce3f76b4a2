import type { Logger } from '@nestjs/common';
import type { TaskDispatched } from '@shoal/protocol';
import type { TaskCheckins } from '../checkin/index.js';
import type { TaskAttempt } from '../task-attempt.js';
import { type MenuTmux, chooseOption } from '../menus/index.js';
import { presetOfTask } from '../presets/index.js';
import { AgentPolicyRunner } from './agent-policy-runner.js';
import { MenuAnswers } from './menu-answers.js';

/** What the executor lends the policy runner. */
export interface ExecutorPolicyDeps {
  /** Appends a line to a task's output stream (seen by `shoal run --follow` and the dashboard). */
  output(task: TaskDispatched, text: string): void;
  log: Pick<Logger, 'log' | 'warn'>;
  /** The attempt running under a `run/task` key. */
  find(key: string): TaskAttempt | undefined;
  checkins(): TaskCheckins;
}

/**
 * The executor's {@link AgentPolicyRunner}: notify writes to the node log and the task's output;
 * restart and fail go through the attempt (restart keeps the attempt, fail ends it with the reason);
 * checkin asks the task's check-in loop for one check-in now. An attempt replaced meanwhile is left alone.
 */
export function agentPolicyRunner(deps: ExecutorPolicyDeps): AgentPolicyRunner {
  const current = (key: string, attempt: number) => {
    const a = deps.find(key);
    return a && a.task.attempt === attempt && a.state === 'running' ? a : undefined;
  };
  return new AgentPolicyRunner({
    notify: (a, text) => {
      deps.log.log(`${a.key}#${a.task.attempt}: ${text}`);
      deps.output(a.task, `\n[shoal] ${text}\n`);
    },
    restart: async (a, reason) => {
      const attempt = current(a.key, a.task.attempt);
      if (!attempt) return;
      deps.log.warn(`${a.key}#${a.task.attempt}: ${reason}`);
      deps.output(a.task, `\n[shoal] ${reason}\n`);
      await attempt.restart(reason);
    },
    fail: async (a, reason) => {
      const attempt = current(a.key, a.task.attempt);
      if (!attempt) return;
      deps.log.warn(`${a.key}#${a.task.attempt}: ${reason}`);
      deps.output(a.task, `\n[shoal] ${reason}\n`);
      await attempt.stop('failed', reason);
    },
    checkin: async (a, reason) => {
      if (!current(a.key, a.task.attempt)) return;
      deps.log.log(`${a.key}#${a.task.attempt}: ${reason}: check-in now`);
      await deps.checkins().checkinNow(a.key);
    },
    warn: (m) => deps.log.warn(m),
  });
}

/**
 * The executor's {@link MenuAnswers}: chooses on the attempt's own pane (only while that attempt
 * runs), notes each answer on the node log and the task's output.
 */
export function menuAnswers(deps: Pick<ExecutorPolicyDeps, 'output' | 'log' | 'find'> & { tmux(): MenuTmux }): MenuAnswers {
  return new MenuAnswers({
    choose: async (a, choice) => {
      const attempt = deps.find(a.key);
      if (!attempt?.paneId || attempt.task.attempt !== a.task.attempt || attempt.state !== 'running') return { ok: false, reason: 'the attempt is no longer running' };
      return chooseOption(deps.tmux(), attempt.paneId, presetOfTask(a.task), choice);
    },
    note: (a, text) => {
      deps.log.log(`${a.key}#${a.task.attempt}: ${text}`);
      deps.output(a.task, `\n[shoal] ${text}\n`);
    },
    warn: (m) => deps.log.warn(m),
  });
}
