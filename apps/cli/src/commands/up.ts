import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { toNodeId } from '@shoal/protocol';
import { Supervisor, StoppingError } from '../supervise/supervisor.js';
import type { TaskCommandDeps } from './task-api.js';

/** Parses an integer option. */
export const intOption = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
};

interface UpFlags {
  dataDir: string;
  port: number;
  natsPort: number;
  nodeId: string;
  tmuxSocket: string;
  pulse: number;
  verbose?: boolean;
  listen: string;
  advertise?: string;
  insecure?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tls?: string;
  runAs?: string;
  leafPort?: number;
}

/**
 * Resolves on the first SIGINT/SIGTERM with its name. Installed before anything starts: the
 * children run in their own process groups, so a Ctrl-C reaches only this process.
 */
export function onStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const handler = (sig: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(sig);
    };
    const onInt = handler('SIGINT');
    const onTerm = handler('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

/**
 * `shoal up`: a control host (nats-server, coordinator, local node-agent), supervised until Ctrl-C.
 * Its output is a log, so `--json` is refused; what it started is in `<data-dir>/cluster.json`.
 */
export function registerUpCommand(program: Command, { out, act, output }: Pick<TaskCommandDeps, 'out' | 'act' | 'output'>): void {
  program
    .command('up')
    .description('start a control host: nats-server (JetStream), a coordinator and a node-agent, secured with tokens and per-node NATS keys; Ctrl-C stops all of it')
    .option('--data-dir <dir>', 'where state, secrets and logs live', process.env.SHOAL_HOME ?? join(homedir(), '.shoal'))
    .option('--listen <addr>', 'address the API and NATS listen on (0.0.0.0: every interface)', '127.0.0.1')
    .option('--advertise <host>', 'host name or address other hosts reach this one by (default: the listen address, or for 0.0.0.0 the first non-internal IPv4)')
    .option('--port <port>', 'API port (0: any free port)', intOption, 8080)
    .option('--nats-port <port>', 'NATS port (-1: any free port; joined hosts need it to stay the same)', intOption, 4222)
    .option('--node-id <id>', 'id of the local node', toNodeId(hostname()))
    .option('--tmux-socket <name>', 'tmux socket of the node-agent (tmux -L <name> attach)', 'shoal')
    .option('--pulse <ms>', 'heartbeat period', intOption, 2500)
    .option('--run-as <user>', "user the agents run as, or 'off' (default: shoal-agent when root, created if missing)")
    .option('--tls-cert <file>', 'certificate (PEM) for NATS and the HTTPS API')
    .option('--tls-key <file>', 'its private key (PEM)')
    .option('--tls-ca <file>', 'CA (PEM) that signed it; handed to joining nodes')
    .option('--tls <mode>', "'generate': make a private CA (kept in <data-dir>/tls) and a server certificate with openssl")
    .option('--leaf-port <port>', 'also accept NATS leaf nodes of remote sites on this port (docs/multi-cluster.md); gives JetStream the domain shoal-hub', intOption)
    .option('--insecure', 'no API tokens, anonymous NATS (the old behaviour; only on a machine you trust alone)')
    .option('-v, --verbose', 'show the logs of every process')
    .action(
      act(async (f: UpFlags) => {
        output.refuseJson('up', 'prints a log while it supervises its processes, not data; what it started (api, publicUrl, nats, tmuxSocket, pid) is in <data-dir>/cluster.json (mode 0600: it also holds the admin token)');
        const stopSignal = onStopSignal();
        const sup = new Supervisor(out);
        // --tls-ca is also a global option (the CLI's own CA), which commander fills first.
        const tlsCa = f.tlsCa ?? program.opts<{ tlsCa?: string }>().tlsCa;
        const o = { ...f, tlsCa, pulseMs: f.pulse, verbose: !!f.verbose, insecure: !!f.insecure };
        // loaded here: up.ts pulls in @shoal/runtime, which no other command needs at start-up
        const { up } = await import('../up/up.js');
        const starting = up(o, sup, out);
        const early = await Promise.race([starting.then(() => undefined), stopSignal]);
        if (early) {
          out(`\n${early}: stopping...`);
          await sup.stopAll();
          await starting.catch(() => undefined);
          out('stopped.');
          return 130;
        }
        const cluster = await starting.catch((e: unknown) => {
          throw e instanceof StoppingError ? new Error('stopped while starting') : e;
        });
        out(
          [
            `Shoal is up${o.insecure ? ' (INSECURE: no API tokens, anonymous NATS)' : ''}.`,
            `  API:   ${cluster.api}${cluster.publicUrl !== cluster.api ? `  (other hosts: ${cluster.publicUrl})` : ''}`,
            `  NATS:  ${cluster.nats}`,
            `  tmux:  tmux -L ${o.tmuxSocket} ls`,
            ...(cluster.joinCommand
              ? [
                  'Join another host (single use, valid 1 h; `shoal token join` mints more):',
                  `  ${cluster.joinCommand}`,
                  ...(cluster.caFile ? [`  (copy ${cluster.caFile} to that host first and give its path to --tls-ca)`] : []),
                ]
              : []),
            'Press Ctrl-C to stop.',
          ].join('\n'),
        );
        const ended = await Promise.race([stopSignal.then((sig) => ({ sig })), sup.gaveUp.then((name) => ({ name }))]);
        if ('sig' in ended) {
          out(`\n${ended.sig}: stopping node-agent, coordinator and nats-server...`);
          await cluster.stop();
          out('stopped.');
          return 0;
        }
        out(`${ended.name} could not be kept running: stopping the rest and removing the cluster file.`);
        await cluster.stop();
        out('stopped.');
        return 1;
      }),
    );
}
