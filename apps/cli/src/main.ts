#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { ApiClient, resolveConnection } from './api-client.js';
import { explain, nodes, runPlan, status, validate } from './commands.js';
import { registerAnalyticsCommand } from './commands/analytics.js';
import { registerEmergencyCommands } from './commands/emergency.js';
import { registerMonitorCommand } from './monitor/register.js';
import { registerAttachCommand } from './commands/attach.js';
import { registerCaptureCommand } from './commands/capture.js';
import { registerDashboardCommand } from './commands/dashboard.js';
import { registerDeployCommand } from './commands/deploy.js';
import { registerCacheCommands } from './commands/cache.js';
import { registerJoinCommand } from './commands/join.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerSendCommand } from './commands/send.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerLeafCommands } from './commands/leaf.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerUpCommand } from './commands/up.js';
import { Output, argvAsksJson, usageError } from './output.js';

// A reader that went away (`shoal up | head`) must not crash a command mid-way (e.g. while
// `shoal up` stops its children): output to a closed pipe is dropped.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

// `--json` is one global option (commander reads it before or after the command's name) that every
// command reads through `output` (output.ts): data as JSON on stdout, notes and errors on stderr.
// Commands that print no data (up, join, attach, the monitor's frame) refuse it.
const program = new Command('shoal')
  .description('Run fleets of command-line AI agents across machines.')
  .option('--api <url>', 'coordinator API (default: SHOAL_API, a running `shoal up`, or http://127.0.0.1:8080)')
  .option('--token <token>', 'API token (default: SHOAL_TOKEN, or the admin token of a local `shoal up`)')
  .option('--tls-ca <file>', "CA (PEM) of the API's HTTPS certificate (default: SHOAL_CA_FILE)")
  .option('--json', "print the command's data as JSON (the API's answer; JSON lines when following live), notes and errors on stderr")
  .configureHelp({ showGlobalOptions: true });
const json = () => !!program.opts<{ json?: boolean }>().json || argvAsksJson(process.argv.slice(2));
// set before the commands are added: they inherit it (usage errors as JSON with --json)
program.configureOutput({ outputError: (text, write) => write(usageError(text, json())) });
const output = new Output(json);
const out = output.text;
const api = () => new ApiClient(resolveConnection(program.opts<{ api?: string; token?: string; tlsCa?: string }>()));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const act = <A extends any[]>(fn: (...args: A) => Promise<number>) => async (...args: A) => {
  try {
    process.exitCode = await fn(...args);
  } catch (e) {
    output.error(e, explain);
    process.exitCode = 2;
  }
};

registerUpCommand(program, { out, act, output });
registerJoinCommand(program, { out, act, output });

program
  .command('run <plan>')
  .description('submit a plan (YAML or JSON); --json: the run, or with --follow one JSON object per line (submitted, events, result)')
  .option('-f, --follow', 'show live progress (bars per phase on a terminal, lines otherwise); exit 0 only if the run succeeded')
  .option('--idempotency-key <key>', 'submit with this key (default: a new UUID): the same key again answers the run it started instead of starting another')
  .option('--retry-for <seconds>', 'retry a 503 or a lost connection this long, with the same key (0: one try; default 30)', (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 3600) throw new InvalidArgumentError('must be a number of seconds from 0 to 3600');
    return n;
  })
  .action(
    act((plan: string, o: { follow?: boolean; idempotencyKey?: string; retryFor?: number }) =>
      runPlan(api(), plan, { follow: o.follow, idempotencyKey: o.idempotencyKey, retryForMs: (o.retryFor ?? 30) * 1000, tty: !!process.stdout.isTTY && !output.json, write: (s) => process.stdout.write(s), columns: () => process.stdout.columns ?? 80, rows: () => process.stdout.rows ?? 24 }, output),
    ),
  );

program
  .command('validate <plan>')
  .description('check a plan without running it (--json: {valid, file, issues})')
  .action(act((plan: string) => validate(plan, output)));

program
  .command('status [run]')
  .description('list runs, or show one run (with each running agent\'s state)')
  .option('--needs-me', 'list the agents across runs waiting for input, in a menu, stalled or in error')
  .action(act((run: string | undefined, o: { needsMe?: boolean }) => status(api(), run, output, !!o.needsMe)));
const nodesCommand = program.command('nodes').description('list nodes and their load; `nodes remove <id>` revokes one').action(act(() => nodes(api(), output)));
program
  .command('cancel <run>')
  .description('cancel a run (--json: the run)')
  .action(act(async (run: string) => (output.show(await api().cancel(run), (v) => `run ${v.id} cancelled`), 0)));
for (const action of ['retry', 'skip'] as const) {
  program
    .command(`${action} <run> <task>`)
    .description(`${action} a task that awaits an operator (--json: the run)`)
    .action(act(async (run: string, task: string) => (output.show(await api().operator(run, task, action), (v) => `${action}: run ${v.id} task ${task}`), 0)));
}

registerTokenCommands(program, nodesCommand, { api, out, act, output });
registerEmergencyCommands(program, { api, out, act, output });

for (const register of [registerSendCommand, registerKeysCommands, registerCaptureCommand, registerAttachCommand, registerAnalyticsCommand, registerMonitorCommand, registerDashboardCommand, registerDeployCommand, registerCacheCommands, registerMcpCommand, registerLeafCommands]) register(program, { api, out, act, output });

await program.parseAsync(process.argv);
