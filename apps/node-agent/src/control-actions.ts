import { type ControlRequest, type MenuOptionView, type MenuView, type TaskFinished, taskKey } from '@shoal/protocol';
import { paneControl } from './checkin/index.js';
import { menuControl } from './menus/index.js';
import { type LogIndex, readLogTail, taskLogPath } from './logs/index.js';
import type { TaskAttempt } from './task-attempt.js';
import type { TmuxDriver } from './tmux/index.js';

/** Reply of a control action. */
export interface ControlResult {
  ok: boolean;
  message: string;
  affected?: number;
  /** Bulk answer (`logs`: the tail of the log file). */
  data?: string;
  /** `result`: the attempt's end as this node reported it. */
  result?: TaskFinished;
  /** `keys`, `choose`: the screen changed afterwards. */
  changed?: boolean;
  /** `keys`, `choose`: the keys pressed. */
  keys?: string[];
  /** `choose`: the menu found and the option chosen. */
  menu?: MenuView;
  chosen?: MenuOptionView;
}

/** What answering a control request needs from the node-agent. */
export interface ControlTarget {
  nodeId: string;
  tmux: TmuxDriver;
  logs: LogIndex;
  /** The running attempt of a task (`run/task`), if any. */
  attempt(key: string): TaskAttempt | undefined;
  runningCount(): number;
  stopAll(reason: string): Promise<ControlResult>;
  reset(): Promise<ControlResult>;
  emergencyCleanup(): Promise<ControlResult>;
  /** The end of an attempt this node reported and JetStream acknowledged, if any. */
  deliveredEnd(ref: { runId: string; taskId: string; attempt: number }): Promise<TaskFinished | undefined>;
}

/** Answers one request addressed to this node (cancel, stop-all, reset, cleanup, logs, send, capture, keys, choose, result). */
export async function answerControl(req: ControlRequest, node: ControlTarget): Promise<ControlResult> {
  switch (req.action) {
    case 'ping':
      return { ok: true, message: `node ${node.nodeId} alive, ${node.runningCount()} task(s) running` };
    case 'cancel': {
      const a = node.attempt(taskKey(req.runId, req.taskId));
      if (!a || a.task.attempt !== req.attempt) return { ok: true, message: 'not running here', affected: 0 };
      await a.stop('cancelled', req.reason ?? 'cancelled');
      return { ok: true, message: `stopping ${req.runId}/${req.taskId}`, affected: 1 };
    }
    case 'stop-all':
      return node.stopAll('stopped by operator (stop-all)');
    case 'emergency-cleanup':
      return node.emergencyCleanup();
    case 'reset':
      return node.reset();
    case 'logs': {
      const found = node.logs.find(req.runId, req.taskId, req.attempt);
      const attempt = found?.attempt ?? req.attempt;
      if (!attempt) return { ok: false, message: `no log of ${req.runId}/${req.taskId} on node ${node.nodeId}` };
      const path = found?.path ?? taskLogPath(node.logs.logDir, req.runId, req.taskId, attempt);
      const data = await readLogTail(path, req.bytes ?? 64 * 1024);
      return { ok: true, message: `${path} (attempt ${attempt})`, data };
    }
    case 'result': {
      const end = await node.deliveredEnd(req);
      const what = `${req.runId}/${req.taskId}#${req.attempt}`;
      return end ? { ok: true, message: `${what} ended ${end.outcome} on node ${node.nodeId}`, result: end } : { ok: false, message: `node ${node.nodeId} delivered no end of ${what}` };
    }
    case 'send':
    case 'capture':
      return paneControl(req, node.tmux, node.attempt(taskKey(req.runId, req.taskId)));
    case 'keys':
    case 'choose':
      return menuControl(req, node.tmux, node.attempt(taskKey(req.runId, req.taskId)));
    default:
      return { ok: false, message: `action ${(req as { action: string }).action} is not supported by this node-agent` };
  }
}
