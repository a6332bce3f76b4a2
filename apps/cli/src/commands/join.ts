import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { toNodeId } from '@shoal/protocol';
import { planJoin } from '../join/join-options.js';
import { renderSystemdUnit } from '../join/systemd.js';
import { requireBinary, start } from '../processes.js';
import { Supervisor } from '../supervise/supervisor.js';
import { recordChild, stopLeftovers } from '../up/leftovers.js';
import { ensureUser, nodeDataDir, resolveRunAs } from '../up/run-as.js';
import type { TaskCommandDeps } from './task-api.js';
import { onStopSignal } from './up.js';

const here = dirname(fileURLToPath(import.meta.url));
const cliMain = resolve(here, '..', 'main.js');
const nodeAgentMain = resolve(here, '..', '..', '..', 'node-agent', 'dist', 'main.js');

/** The node-agent's words when NATS refuses its credentials. */
const REMOVED = /NATS does not accept this node's credentials/;
/** Exit status of `shoal join` for a removed node (a systemd unit does not restart on it). */
export const EXIT_REMOVED = 3;

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

/** `shoal join <url> --token <t>`: enrols this host and runs its node-agent in the foreground, supervised. */
export function registerJoinCommand(program: Command, { out, act }: Pick<TaskCommandDeps, 'out' | 'act'>): void {
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
        const global = program.opts<{ token?: string; tlsCa?: string }>();
        const token = f.token ?? global.token ?? (process.env.SHOAL_JOIN_TOKEN || undefined);
        const tlsCa = f.tlsCa ?? global.tlsCa;
        const runAs = resolveRunAs(f.runAs, process.getuid?.());
        const nodeId = toNodeId(f.nodeId);
        const home = process.env.SHOAL_HOME || join(homedir(), '.shoal');
        const dataDir = f.dataDir ? resolve(f.dataDir) : nodeDataDir(join(home, 'node', nodeId), runAs, nodeId, f.printSystemd ? () => undefined : out);
        const plan = planJoin({ ...f, url, token, runAs, tlsCa: tlsCa ? resolve(tlsCa) : undefined, dataDir });
        const enrolled = existsSync(plan.credentials);
        if (f.printSystemd) {
          out(renderSystemdUnit({ nodeId: plan.nodeId, node: process.execPath, cli: cliMain, args: plan.args, joinToken: enrolled ? undefined : token }));
          return 0;
        }
        if (!enrolled && !token) throw new Error(`this node has no credentials in ${plan.dataDir} yet: pass --token <join token> (mint one on the control host with \`shoal token join\`)`);
        requireBinary('tmux');
        await ensureUser(runAs, out);
        const env = { ...process.env, ...plan.env };
        delete env.SHOAL_TOKEN;
        delete env.SHOAL_CREDENTIALS;
        delete env.SHOAL_JOIN_TOKEN;
        const firstEnv = enrolled ? env : { ...env, SHOAL_JOIN_TOKEN: token! };
        // A `shoal join` killed with -9 leaves its node-agent running: stop it before starting another.
        const pidsFile = join(plan.dataDir, 'join.pids');
        if (!existsSync(plan.dataDir)) mkdirSync(plan.dataDir, { recursive: true, mode: 0o711 });
        await stopLeftovers(pidsFile, out, 'shoal join');
        const stopSignal = onStopSignal();
        const sup = new Supervisor(out);
        sup.onSpawn = (name, p) => p.child.pid && recordChild(pidsFile, process.pid, name, p.child.pid, join('node-agent', 'dist', 'main.js'));
        const echo = (line: string) => out(`[node-agent] ${line}`);
        // Once enrolled, a restart uses the credentials file; the join token is spent.
        const agent = sup.launch({
          name: 'node-agent',
          start: () => start('node-agent', [process.execPath, nodeAgentMain], existsSync(plan.credentials) ? env : firstEnv, echo),
          hopeless: (p) => (p.lines.some((l) => REMOVED.test(l)) ? `NATS refuses this node's credentials (removed with \`shoal nodes remove\`?): join again with a new token` : undefined),
        });
        out(`${enrolled ? 'starting' : 'enrolling'} node ${plan.nodeId} with ${url} (data dir ${plan.dataDir})...`);
        const ready = await Promise.race([agent.waitFor(/ready: governor/, 120_000).then(() => undefined), stopSignal]).catch((e: Error) => e);
        const stopAll = async () => {
          await sup.stopAll();
          rmSync(pidsFile, { force: true });
        };
        if (ready instanceof Error) {
          await stopAll();
          throw new Error(`the node-agent did not start: ${joinFailure(ready.message)}`);
        }
        if (ready) {
          await stopAll();
          out(`${ready}: stopped.`);
          return 130;
        }
        sup.supervise('node-agent');
        out(`node ${plan.nodeId} joined ${url}${plan.env.SHOAL_LABELS ? ` (labels ${plan.env.SHOAL_LABELS})` : ''}; credentials in ${plan.credentials}. Press Ctrl-C to stop.`);
        const ended = await Promise.race([stopSignal.then((sig) => ({ sig })), sup.gaveUp.then((name) => ({ name }))]);
        if ('sig' in ended) {
          out(`\n${ended.sig}: stopping the node-agent...`);
          await stopAll();
          out('stopped.');
          return 0;
        }
        await stopAll();
        const removed = sup.current('node-agent')?.lines.some((l) => REMOVED.test(l));
        out(removed ? `node ${plan.nodeId} is no longer part of the cluster: stopped.` : 'the node-agent could not be kept running: stopped.');
        return removed ? EXIT_REMOVED : 1;
      }),
    );
}

/** The reason in a node-agent's start-up failure, without the noise around it. */
function joinFailure(message: string): string {
  const reason = /node-agent failed to start: (.*)/.exec(message)?.[1];
  return reason ?? message;
}

