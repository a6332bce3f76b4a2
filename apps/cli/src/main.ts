#!/usr/bin/env node
import { Command } from 'commander';
import { ApiClient, resolveConnection } from './api-client.js';
import { explain, nodes, runPlan, status, validateFile } from './commands.js';
import { registerAnalyticsCommand } from './commands/analytics.js';
import { registerEmergencyCommands } from './commands/emergency.js';
import { registerMonitorCommand } from './monitor/register.js';
import { registerAttachCommand } from './commands/attach.js';
import { registerCaptureCommand } from './commands/capture.js';
import { registerDashboardCommand } from './commands/dashboard.js';
import { registerDeployCommand } from './commands/deploy.js';
import { registerCacheCommands } from './commands/cache.js';
import { registerJoinCommand } from './commands/join.js';
import { registerSendCommand } from './commands/send.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerUpCommand } from './commands/up.js';

const out = (s: string) => process.stdout.write(`${s}\n`);
// A reader that went away (`shoal up | head`) must not crash a command mid-way (e.g. while
// `shoal up` stops its children): output to a closed pipe is dropped.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

const program = new Command('shoal')
  .description('Run fleets of command-line AI agents across machines.')
  .option('--api <url>', 'coordinator API (default: SHOAL_API, a running `shoal up`, or http://127.0.0.1:8080)')
  .option('--token <token>', 'API token (default: SHOAL_TOKEN, or the admin token of a local `shoal up`)')
  .option('--tls-ca <file>', "CA (PEM) of the API's HTTPS certificate (default: SHOAL_CA_FILE)");
const api = () => new ApiClient(resolveConnection(program.opts<{ api?: string; token?: string; tlsCa?: string }>()));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const act = <A extends any[]>(fn: (...args: A) => Promise<number>) => async (...args: A) => {
  try {
    process.exitCode = await fn(...args);
  } catch (e) {
    process.stderr.write(`${explain(e)}\n`);
    process.exitCode = 2;
  }
};

registerUpCommand(program, { out, act });
registerJoinCommand(program, { out, act });

program
  .command('run <plan>')
  .description('submit a plan (YAML or JSON)')
  .option('-f, --follow', 'show live progress (bars per phase on a terminal, lines otherwise); exit 0 only if the run succeeded')
  .option('--json', 'with --follow: one JSON event per line, then the final run')
  .action(
    act((plan: string, o: { follow?: boolean; json?: boolean }) =>
      runPlan(api(), plan, { follow: o.follow, json: o.json, tty: !!process.stdout.isTTY && !o.json, write: (s) => process.stdout.write(s), columns: () => process.stdout.columns ?? 80, rows: () => process.stdout.rows ?? 24 }, out),
    ),
  );

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

program
  .command('status [run]')
  .description('list runs, or show one run (with each running agent\'s state)')
  .option('--needs-me', 'list the agents across runs waiting for input, in a menu, stalled or in error')
  .action(act((run: string | undefined, o: { needsMe?: boolean }) => status(api(), run, out, !!o.needsMe)));
const nodesCommand = program.command('nodes').description('list nodes and their load; `nodes remove <id>` revokes one').action(act(() => nodes(api(), out)));
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

registerTokenCommands(program, nodesCommand, { api, out, act });
registerEmergencyCommands(program, { api, out, act });

for (const register of [registerSendCommand, registerCaptureCommand, registerAttachCommand, registerAnalyticsCommand, registerMonitorCommand, registerDashboardCommand, registerDeployCommand, registerCacheCommands]) register(program, { api, out, act });

await program.parseAsync(process.argv);
