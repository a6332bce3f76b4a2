import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { NodeActionName, NodeActionReply } from '@shoal/protocol';
import { TERMINAL_TASK } from '@shoal/protocol';
import type { ApiClient } from '../api-client.js';

type Out = (s: string) => void;
/** What the commands need from main.ts. */
export interface EmergencyDeps {
  api: () => ApiClient;
  out: Out;
  /** Wraps an action: sets the exit code, explains errors. */
  act: <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;
}

/** Registers `stop-all`, `reset`, `emergency-cleanup` and `logs`. */
export function registerEmergencyCommands(program: Command, deps: EmergencyDeps): void {
  const { api, out, act } = deps;
  program
    .command('stop-all')
    .description('stop every task gracefully (Ctrl-C, grace period, then kill) on one node or on all nodes')
    .option('--node <id>', 'only this node')
    .action(act((o: { node?: string }) => nodeAction(api(), 'stop-all', o.node, out)));
  program
    .command('reset')
    .description('stop every task, then make the node(s) forget local state (attempts seen, log index)')
    .option('--node <id>', 'only this node')
    .action(act((o: { node?: string }) => nodeAction(api(), 'reset', o.node, out)));
  program
    .command('emergency-cleanup')
    .description('kill every Shoal tmux session, process tree and resource group on the node(s)')
    .option('--node <id>', 'only this node')
    .action(act((o: { node?: string }) => nodeAction(api(), 'emergency-cleanup', o.node, out)));
  program
    .command('logs <run> <task>')
    .description("print a task's output (the coordinator's streamed tail); --follow keeps printing until the task ends")
    .option('-f, --follow', 'follow live output')
    .option('--node-file', "read the tail of the log file on the task's node instead")
    .option('--bytes <n>', 'with --node-file: how much of the tail (default 65536)', positiveInt)
    .action(act((run: string, task: string, o: { follow?: boolean; nodeFile?: boolean; bytes?: number }) => logs(api(), run, task, o, out)));
}

/** Runs an emergency action on one node, or on every node; exit 0 only if every node said ok. */
export async function nodeAction(api: ApiClient, action: NodeActionName, nodeId: string | undefined, out: Out): Promise<number> {
  let answers: NodeActionReply[];
  if (nodeId) answers = [await api.nodeAction(nodeId, action)];
  else if (action === 'stop-all') answers = (await api.stopEverywhere()).nodes;
  else {
    const nodes = await api.nodes();
    answers = await Promise.all(
      nodes
        .filter((n) => n.state !== 'lost')
        .map((n) => api.nodeAction(n.id, action).catch((e: Error) => ({ nodeId: n.id, ok: false, message: e.message }))),
    );
  }
  if (!answers.length) out('no nodes');
  for (const a of answers) out(`${a.nodeId}: ${a.ok ? 'ok' : 'FAILED'} - ${a.message}`);
  return answers.every((a) => a.ok) ? 0 : 1;
}

/** `shoal logs <run> <task> [--follow] [--node-file]`. */
export async function logs(api: ApiClient, runId: string, taskId: string, o: { follow?: boolean; nodeFile?: boolean; bytes?: number }, out: Out): Promise<number> {
  const first = await api.taskLogs(runId, taskId, o);
  if (first.text) out(first.text.replace(/\n$/, ''));
  if (!o.follow || o.nodeFile || first.source === 'node' || TERMINAL_TASK.includes(first.state)) return 0;
  for await (const m of api.follow(runId)) {
    if (m.event === 'snapshot') continue;
    const e = m.data;
    if (m.event === 'output' && e.type === 'output' && e.taskId === taskId) out(e.text.replace(/\n$/, ''));
    if (m.event === 'task' && e.type === 'task' && e.taskId === taskId && TERMINAL_TASK.includes(e.state)) break;
  }
  return 0;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}
