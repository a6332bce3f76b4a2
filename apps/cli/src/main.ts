#!/usr/bin/env node
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { toNodeId } from '@shoal/protocol';
import { ApiClient, resolveApi } from './api-client.js';
import { explain, nodes, runPlan, status, validateFile } from './commands.js';
import { registerEmergencyCommands } from './commands/emergency.js';
import { registerAttachCommand } from './commands/attach.js';
import { registerCaptureCommand } from './commands/capture.js';
import { registerSendCommand } from './commands/send.js';
import { up } from './up.js';

const out = (s: string) => process.stdout.write(`${s}\n`);
const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
};

const program = new Command('shoal').description('Run fleets of command-line AI agents across machines.').option('--api <url>', 'coordinator API (default: SHOAL_API, a running `shoal up`, or http://127.0.0.1:8080)');
const api = () => new ApiClient(resolveApi(program.opts<{ api?: string }>().api));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const act = <A extends any[]>(fn: (...args: A) => Promise<number>) => async (...args: A) => {
  try {
    process.exitCode = await fn(...args);
  } catch (e) {
    process.stderr.write(`${explain(e)}\n`);
    process.exitCode = 2;
  }
};

program
  .command('up')
  .description('start a local cluster (nats-server with JetStream, a coordinator, a node-agent); Ctrl-C stops all of it')
  .option('--data-dir <dir>', 'where state and logs live', process.env.SHOAL_HOME ?? join(homedir(), '.shoal'))
  .option('--port <port>', 'API port (0: any free port)', int, 8080)
  .option('--nats-port <port>', 'NATS port (-1: any free port)', int, -1)
  .option('--node-id <id>', 'id of the local node', toNodeId(hostname()))
  .option('--tmux-socket <name>', 'tmux socket of the node-agent (tmux -L <name> attach)', 'shoal')
  .option('--pulse <ms>', 'heartbeat period', int, 2500)
  .option('-v, --verbose', 'show the logs of every process')
  .action(
    act(async (o: { dataDir: string; port: number; natsPort: number; nodeId: string; tmuxSocket: string; pulse: number; verbose?: boolean }) => {
      const cluster = await up({ ...o, pulseMs: o.pulse, verbose: !!o.verbose }, out);
      out(`Shoal is up.\n  API:   ${cluster.api}\n  NATS:  ${cluster.nats}\n  tmux:  tmux -L ${o.tmuxSocket} ls\nPress Ctrl-C to stop.`);
      await new Promise<void>((resolve) => {
        const onSignal = (sig: string) => {
          out(`\n${sig}: stopping node-agent, coordinator and nats-server...`);
          void cluster.stop().then(() => {
            out('stopped.');
            resolve();
          });
        };
        process.once('SIGINT', () => onSignal('SIGINT'));
        process.once('SIGTERM', () => onSignal('SIGTERM'));
      });
      return 0;
    }),
  );

program
  .command('run <plan>')
  .description('submit a plan (YAML or JSON)')
  .option('-f, --follow', 'show live progress; exit 0 only if the run succeeded')
  .action(act((plan: string, o: { follow?: boolean }) => runPlan(api(), plan, !!o.follow, out)));

program
  .command('validate <plan>')
  .description('check a plan without running it')
  .action(
    act(async (plan: string) => {
      validateFile(plan);
      out(`${plan}: valid`);
      return 0;
    }),
  );

program.command('status [run]').description('list runs, or show one run').action(act((run?: string) => status(api(), run, out)));
program.command('nodes').description('list nodes and their load').action(act(() => nodes(api(), out)));
program
  .command('cancel <run>')
  .description('cancel a run')
  .action(act(async (run: string) => (out(`run ${(await api().cancel(run)).id} cancelled`), 0)));
for (const action of ['retry', 'skip'] as const) {
  program
    .command(`${action} <run> <task>`)
    .description(`${action} a task that awaits an operator`)
    .action(act(async (run: string, task: string) => (out(`${action}: run ${(await api().operator(run, task, action)).id} task ${task}`), 0)));
}

registerEmergencyCommands(program, { api, out, act });

for (const register of [registerSendCommand, registerCaptureCommand, registerAttachCommand]) register(program, { api, out, act });

await program.parseAsync(process.argv);
