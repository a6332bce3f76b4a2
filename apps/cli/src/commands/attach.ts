import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { ConflictError, NotFoundError, type NodeRow, type RunView } from '@shoal/protocol';
import type { RegisterCommand } from './task-api.js';

/** Where a task runs in tmux, and how to attach to it. */
export interface AttachTarget {
  nodeId: string;
  /** Host name the node reports in its heartbeat (undefined if the node is unknown now). */
  host?: string;
  /** argv of the attach command on that host. */
  argv: string[];
}

/** The attach argv of a task of a run view; throws when the task does not run (yet). */
export function attachTarget(run: RunView, taskId: string, nodes: readonly Pick<NodeRow, 'id' | 'hostname'>[]): AttachTarget {
  const task = run.tasks.find((t) => t.id === taskId);
  if (!task) throw new NotFoundError(`no task ${taskId} in run ${run.id}`);
  if (!task.tmux || !task.nodeId || task.state !== 'running') throw new ConflictError(`task ${taskId} is ${task.state}: there is no window to attach to`);
  const { socket, session, window } = task.tmux;
  return { nodeId: task.nodeId, host: nodes.find((n) => n.id === task.nodeId)?.hostname, argv: ['tmux', '-L', socket, 'attach', '-t', `${session}:${window}`] };
}

/** Renders an argv for a POSIX shell (words quoted only when needed). */
export function shellWords(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w.,:@%+=/-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** `shoal attach <run> <task> [--exec]`: prints (or runs, on the task's host) the tmux attach command; not data, so `--json` is refused. */
export const registerAttachCommand: RegisterCommand = (program, { api, out, act, output }) => {
  program
    .command('attach <run> <task>')
    .description("print the command that attaches to a running task's tmux window; --exec runs it when the task runs on this host")
    .option('--exec', 'run the attach command (only on the host that runs the task)')
    .action(
      act(async (run: string, task: string, o: { exec?: boolean }) => {
        output.refuseJson('attach', 'prints a command to run (or runs it), not data; `shoal status <run> --json` shows where each task runs (nodeId, tmux)');
        const client = api();
        const view = await client.run(run);
        const nodes = await client.nodes();
        const target = attachTarget(view, task, nodes);
        const here = target.host === hostname();
        if (!o.exec) {
          out(here || !target.host ? shellWords(target.argv) : `ssh -t ${target.host} ${shellWords(target.argv)}`);
          return 0;
        }
        if (!here) throw new ConflictError(`task ${task} runs on node ${target.nodeId} (${target.host ?? 'host unknown'}), not on this host; run there: ${shellWords(target.argv)}`);
        const child = spawn(target.argv[0]!, target.argv.slice(1), { stdio: 'inherit' });
        return new Promise<number>((resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (code) => resolve(code ?? 1));
        });
      }),
    );
};
