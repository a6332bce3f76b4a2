import { existsSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { toNodeId } from '@shoal/protocol';
import { planJoin } from '../join/join-options.js';
import { renderSystemdUnit } from '../join/systemd.js';
import { requireBinary } from '../processes.js';
import { runJoinedNode } from '../join/run-node.js';
import { SHARED_NODE_ROOT, ensureUser, nodeDataDir, othersCanTraverse, resolveRunAs } from '../up/run-as.js';
import type { TaskCommandDeps } from './task-api.js';
import { onStopSignal } from './up.js';

const here = dirname(fileURLToPath(import.meta.url));
const cliMain = resolve(here, '..', 'main.js');
const nodeAgentMain = resolve(here, '..', '..', '..', 'node-agent', 'dist', 'main.js');

interface JoinCliFlags {
  token?: string;
  nodeId: string;
  labels?: string;
  tmuxSocket?: string;
  dataDir?: string;
  runAs?: string;
  tlsCa?: string;
  printSystemd?: boolean;
}

/** `shoal join <url> --token <t>`: enrols this host and runs its node-agent in the foreground, supervised (a log, not data: `--json` is refused). */
export function registerJoinCommand(program: Command, { out, act, output }: Pick<TaskCommandDeps, 'out' | 'act' | 'output'>): void {
  program
    .command('join <coordinator-url>')
    .description("join this host to a cluster: enrol with a one-time join token (from `shoal up` or `shoal token join`) and run its node-agent; Ctrl-C stops it")
    .option('--token <token>', 'the join token (or SHOAL_JOIN_TOKEN); not needed once this node has credentials')
    .option('--node-id <id>', 'id of this node', toNodeId(hostname()))
    .option('--labels <k=v,...>', 'labels tasks can require (requires: { k: v })')
    .option('--tmux-socket <name>', 'tmux socket of the agents (default shoal-<node id>)')
    .option('--data-dir <dir>', 'where the credentials and logs of this node live (default ~/.shoal/node/<id>)')
    .option('--run-as <user>', "user the agents run as, or 'off' (default: shoal-agent when root, created if missing)")
    .option('--tls-ca <file>', "CA (PEM) of the coordinator's HTTPS certificate")
    .option('--print-systemd', 'print a systemd unit running this command, and exit')
    .action(
      act(async (url: string, f: JoinCliFlags) => {
        output.refuseJson('join', 'prints a log while it runs the node-agent (or with --print-systemd a unit file), not data; `shoal nodes --json` shows the node once it joined');
        const global = program.opts<{ token?: string; tlsCa?: string }>();
        const token = f.token ?? global.token ?? (process.env.SHOAL_JOIN_TOKEN || undefined);
        const tlsCa = f.tlsCa ?? global.tlsCa;
        const runAs = resolveRunAs(f.runAs, process.getuid?.());
        const nodeId = toNodeId(f.nodeId);
        const home = process.env.SHOAL_HOME || join(homedir(), '.shoal');
        if (f.dataDir && runAs !== 'off' && !othersCanTraverse(f.dataDir)) {
          throw new Error(`--data-dir ${resolve(f.dataDir)} is out of reach of the unprivileged agents (${runAs}): a directory on its way is not searchable by other users. Pick one they can traverse (e.g. ${SHARED_NODE_ROOT}/${nodeId}), leave --data-dir out, or pass --run-as off`);
        }
        const dataDir = f.dataDir ? resolve(f.dataDir) : nodeDataDir(join(home, 'node', nodeId), runAs, nodeId, f.printSystemd ? () => undefined : out);
        const plan = planJoin({ ...f, url, token, runAs, tlsCa: tlsCa ? resolve(tlsCa) : undefined, dataDir });
        const enrolled = existsSync(plan.credentials);
        if (f.printSystemd) {
          out(renderSystemdUnit({ nodeId: plan.nodeId, node: process.execPath, cli: cliMain, args: plan.args, joinToken: enrolled ? undefined : token }));
          return 0;
        }
        requireBinary('tmux');
        await ensureUser(runAs, out);
        return runJoinedNode(plan, { url: plan.env.SHOAL_JOIN_URL!, token, main: nodeAgentMain, stopSignal: onStopSignal(), out });
      }),
    );
}
