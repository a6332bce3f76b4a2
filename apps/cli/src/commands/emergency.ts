import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { NodeActionName, NodeActionReply, StopEverywhereReply } from '@shoal/protocol';
import { TERMINAL_TASK } from '@shoal/protocol';
import type { ApiClient } from '../api-client.js';
import type { Output } from '../output.js';
import type { TaskCommandDeps } from './task-api.js';

/** Registers `stop-all`, `reset`, `emergency-cleanup` and `logs`. */
export function registerEmergencyCommands(program: Command, deps: TaskCommandDeps): void {
  const { api, act, output } = deps;
  program
    .command('stop-all')
    .description('stop every task gracefully (Ctrl-C, grace period, then kill) on one node or on all nodes')
    .option('--node <id>', 'only this node')
    .action(act((o: { node?: string }) => nodeAction(api(), 'stop-all', o.node, output)));
  program
    .command('reset')
    .description('stop every task, then make the node(s) forget local state (attempts seen, log index)')
    .option('--node <id>', 'only this node')
    .action(act((o: { node?: string }) => nodeAction(api(), 'reset', o.node, output)));
  program
    .command('emergency-cleanup')
    .description('kill every Shoal tmux session, process tree and resource group on the node(s)')
    .option('--node <id>', 'only this node')
    .action(act((o: { node?: string }) => nodeAction(api(), 'emergency-cleanup', o.node, output)));
  program
    .command('logs <run> <task>')
    .description("print a task's output as text (the coordinator's streamed tail, rendered like the screen); --follow keeps printing until the task ends")
    .option('-f, --follow', 'follow live output')
    .option('--node-file', "read the tail of the log file on the task's node instead (rendered as text)")
    .option('--raw', "the terminal bytes as recorded (escape sequences and all) from the log file on the task's node; implies --node-file")
    .option('--bytes <n>', 'with --node-file or --raw: how much of the tail (default 65536)', positiveInt)
    .action(act((run: string, task: string, o: LogsOptions) => logs(api(), run, task, o, output)));
}

/**
 * Runs an emergency action on one node, or on every node not lost; exit 0 only if every node
 * said ok. `--json`: with `--node`, that node's {@link NodeActionReply}; without, a
 * {@link StopEverywhereReply} (`POST /emergency/stop-all`'s answer; reset and cleanup ask each
 * node and gather the answers in the same shape).
 */
export async function nodeAction(api: ApiClient, action: NodeActionName, nodeId: string | undefined, output: Output): Promise<number> {
  const lines = (answers: NodeActionReply[]) => (answers.length ? answers.map((a) => `${a.nodeId}: ${a.ok ? 'ok' : 'FAILED'} - ${a.message}`).join('\n') : 'no nodes');
  if (nodeId) {
    const answer = await api.nodeAction(nodeId, action);
    output.show(answer, (a) => lines([a]));
    return answer.ok ? 0 : 1;
  }
  let everywhere: StopEverywhereReply;
  if (action === 'stop-all') everywhere = await api.stopEverywhere();
  else {
    const nodes = (await api.nodes()).filter((n) => n.state !== 'lost');
    const answers = await Promise.all(nodes.map((n) => api.nodeAction(n.id, action).catch((e: Error): NodeActionReply => ({ nodeId: n.id, ok: false, message: e.message }))));
    everywhere = { ok: answers.every((a) => a.ok), nodes: answers };
  }
  output.show(everywhere, (r) => lines(r.nodes));
  return everywhere.nodes.every((a) => a.ok) ? 0 : 1;
}

/** Options of `shoal logs`. */
export interface LogsOptions {
  follow?: boolean;
  nodeFile?: boolean;
  raw?: boolean;
  bytes?: number;
}

/**
 * `shoal logs <run> <task> [--follow] [--node-file] [--raw]`. Text by default: the node renders
 * what it streams, the coordinator renders the log file's tail (`--node-file`); `--raw` prints the
 * log file's bytes as recorded (`?source=node&render=raw`; a final new line added if missing) and
 * cannot follow. `--json`: the {@link TaskLogReply} (its `render` says which); with `--follow`,
 * JSON lines: that reply first, then each of the task's `output` events and, last, the `task`
 * event that ended it (RunEvents as `GET /runs/:id/events` sends them).
 */
export async function logs(api: ApiClient, runId: string, taskId: string, o: LogsOptions, output: Output): Promise<number> {
  if (o.raw && o.follow) throw new InvalidArgumentError('--raw reads the log file on the node and cannot --follow (the live stream is text)');
  const first = await api.taskLogs(runId, taskId, { nodeFile: o.nodeFile || o.raw, bytes: o.bytes, render: o.raw ? 'raw' : undefined });
  const follow = o.follow && !o.nodeFile && first.source !== 'node' && !TERMINAL_TASK.includes(first.state);
  const text = (s: string) => output.text(s.replace(/\n$/, ''));
  if (!output.json) {
    if (first.text) text(first.text);
  } else if (o.follow) output.line(first);
  else output.show(first, (r) => r.text);
  if (!follow) return 0;
  for await (const m of api.follow(runId)) {
    if (m.event === 'snapshot') continue;
    const e = m.data;
    const mine = 'taskId' in e && e.taskId === taskId;
    const ended = m.event === 'task' && e.type === 'task' && mine && TERMINAL_TASK.includes(e.state);
    if (m.event === 'output' && e.type === 'output' && mine) {
      if (output.json) output.line(e);
      else text(e.text);
    }
    if (ended) {
      if (output.json) output.line(e);
      break;
    }
  }
  return 0;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}
