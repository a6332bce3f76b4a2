import type { Logger } from '@nestjs/common';
import { type TaskCheckin, type TaskDispatched, taskKey } from '@shoal/protocol';
import { TaskCheckins } from '../checkin/index.js';
import type { TaskAttempt } from '../task-attempt.js';
import type { TmuxDriver } from '../tmux/index.js';
import { type MenuTmux, chooseOption } from '../menus/index.js';
import { presetOfTask } from '../presets/index.js';
import { AgentPolicyRunner } from './agent-policy-runner.js';
import { AgentStates } from './agent-states.js';
import { DoneWhenIdle } from './done-when-watch.js';
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

/** What the executor lends the watchers of its running agents. */
export interface AgentWatcherDeps extends Pick<ExecutorPolicyDeps, 'output' | 'log' | 'find'> {
  tmux: TmuxDriver;
  nodeId: string;
  /** How long a working agent may show an unchanged screen before it counts as stalled. */
  stallMs?: number;
  /** Period of the check-ins of interactive agents. */
  checkinMs?: number;
  /** Publishes one check-in report. */
  publishCheckin(c: TaskCheckin): void;
}

/** The executor's watchers of its running agents, wired to each other. */
export interface AgentWatchers {
  /** Live agent state (one pane capture per interactive agent per pulse); its changes run the agent policies and menu answers. */
  agentStates: AgentStates;
  /** Ends `done_when: idle` tasks once their agent is back at its prompt after its turn. */
  doneWhen: DoneWhenIdle;
  /** Check-ins of interactive agents. */
  checkins: TaskCheckins;
}

/** Builds the {@link AgentWatchers} of the executor: state changes feed its policies and menu answers; notes go to the node log and the task's output. */
export function agentWatchers(deps: AgentWatcherDeps): AgentWatchers {
  const note = (task: TaskDispatched, text: string) => (deps.log.log(`${taskKey(task.runId, task.taskId)}#${task.attempt}: ${text}`), deps.output(task, `\n[shoal] ${text}\n`));
  const checkins = new TaskCheckins({
    tmux: () => deps.tmux,
    nodeId: deps.nodeId,
    find: deps.find,
    publish: (c) => deps.publishCheckin(c),
    warn: (m) => deps.log.warn(m),
    note,
    intervalMs: deps.checkinMs,
  });
  const policies = agentPolicyRunner({ ...deps, checkins: () => checkins });
  const answers = menuAnswers({ ...deps, tmux: () => deps.tmux });
  const agentStates = new AgentStates({
    capture: (paneId) => deps.tmux.capturePane(paneId),
    now: Date.now,
    stallMs: deps.stallMs,
    onChange: (a, c) => void policies.onChange(a, c),
    onScreen: (a, seen) => void answers.observe(a, seen),
    onForget: (k) => (policies.forget(k), answers.forget(k)),
  });
  const doneWhen = new DoneWhenIdle({
    status: (key, n) => agentStates.of(key, n),
    screenChangedAt: (key, n) => agentStates.screenChangedAt(key, n),
    find: deps.find,
    tmux: () => deps.tmux,
    note,
    warn: (m) => deps.log.warn(m),
    now: Date.now,
  });
  return { agentStates, doneWhen, checkins };
}
