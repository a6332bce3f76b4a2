import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topology } from '@shoal/protocol';
import { type TlsFiles, writeSecretFile } from '@shoal/runtime';
import { ApiClient, type ClusterInfo, clusterFile, readCluster } from '../api-client.js';
import { requireBinary, start } from '../processes.js';
import type { Supervisor } from '../supervise/supervisor.js';
import { bootstrapSecurity, type SecureBootstrap } from './bootstrap.js';
import { clusterAddresses } from './addresses.js';
import { launchLocalNode } from './local-node.js';
import { advertiseHost, freePort, isLoopback } from './network.js';
import { ensureUser, nodeDataDir, resolveRunAs } from './run-as.js';
import { generateTls } from './tls-generate.js';
import { alive, recordChild, stopLeftovers } from './leftovers.js';

/** Options of `shoal up`. */
export interface UpOptions {
  dataDir: string;
  /** API port (0: a free one). */
  port: number;
  /** NATS port (-1: a free one). */
  natsPort: number;
  nodeId: string;
  tmuxSocket: string;
  pulseMs: number;
  verbose: boolean;
  /** Address the API and NATS listen on. */
  listen: string;
  /** Host other machines reach this one by (default: derived from `listen`). */
  advertise?: string;
  /** No authentication anywhere (the behaviour before security). */
  insecure: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  /** `generate`: a private CA in `<data-dir>/tls` and a server certificate signed by it. */
  tls?: string;
  /** `off` or a user name; default `shoal-agent` when root. */
  runAs?: string;
  /** Port of the leafnode listener for remote sites (docs/multi-cluster.md); secure mode only. */
  leafPort?: number;
}

/** A started cluster. */
export interface UpCluster {
  api: string;
  publicUrl: string;
  nats: string;
  /** The command other hosts join with (absent with --insecure). */
  joinCommand?: string;
  /** The CA other hosts must trust (with TLS). */
  caFile?: string;
  /** Stops everything and removes the cluster file. */
  stop(): Promise<void>;
}

const appsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const WITHOUT = ['SHOAL_TOKEN', 'SHOAL_JOIN_TOKEN', 'SHOAL_JOIN_URL', 'SHOAL_INSECURE', 'SHOAL_CREDENTIALS'];

/** The environment of this process minus what must not leak into a child. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of WITHOUT) delete env[k];
  return env;
}

/**
 * Starts a control host under `sup`: nats-server (JetStream, nkey users only, unless insecure), the
 * coordinator (API with scoped tokens) and a local node-agent (enrolled with a join token, or
 * reusing its credentials). Resolves when all three are ready and the node is alive; from then on
 * `sup` restarts whichever exits on its own.
 */
export async function up(o: UpOptions, sup: Supervisor, say: (s: string) => void): Promise<UpCluster> {
  if (!!o.tlsCert !== !!o.tlsKey) throw new Error('--tls-cert and --tls-key go together');
  if (o.tls !== undefined && o.tls !== 'generate') throw new Error(`--tls ${o.tls}: the only mode is \`--tls generate\` (or give --tls-cert/--tls-key/--tls-ca)`);
  if (o.tls && o.tlsCert) throw new Error('--tls generate and --tls-cert exclude each other');
  if (o.insecure && (o.tls || o.tlsCert)) throw new Error('--insecure and TLS exclude each other');
  const natsBin = requireBinary('nats-server');
  requireBinary('tmux');
  const running = readCluster({ SHOAL_HOME: o.dataDir });
  if (running && running.info.pid !== process.pid && alive(running.info.pid)) {
    throw new Error(`a cluster is already up with this data dir (shoal up pid ${running.info.pid}, API ${running.info.api}); stop it first, or pass another --data-dir`);
  }
  mkdirSync(o.dataDir, { recursive: true });
  const pidsFile = join(o.dataDir, 'up.pids');
  await stopLeftovers(pidsFile, say);
  const markers: Record<string, string> = { 'nats-server': join(o.dataDir, 'nats'), coordinator: join('coordinator', 'dist', 'main.js'), 'node-agent': join('node-agent', 'dist', 'main.js') };
  sup.onSpawn = (name, p) => p.child.pid && recordChild(pidsFile, process.pid, name, p.child.pid, markers[name] ?? name);
  const topo = topology(process.env.SHOAL_NS ?? 'shoal');
  const advertise = advertiseHost(o.listen, o.advertise, networkInterfaces(), hostname());
  const tls: TlsFiles | undefined = o.tls
    ? await generateTls(join(o.dataDir, 'tls'), [advertise, o.listen, '127.0.0.1', 'localhost', hostname()], say)
    : o.tlsCert && o.tlsKey
      ? { cert: resolve(o.tlsCert), key: resolve(o.tlsKey), ...(o.tlsCa ? { ca: resolve(o.tlsCa) } : {}) }
      : undefined;
  const caPem = tls?.ca ? readFileSync(tls.ca, 'utf8') : undefined;
  const apiPort = o.port === 0 ? await freePort(o.listen) : o.port;
  const natsPort = o.natsPort === -1 ? await freePort(o.listen) : o.natsPort;
  const { api, publicUrl, natsLocal, natsPublic, exposed } = clusterAddresses({ listen: o.listen, advertise, apiPort, natsPort, tls: !!tls });
  const echo = (name: string) => (o.verbose ? (l: string) => say(`[${name}] ${l}`) : undefined);
  const file = clusterFile(o.dataDir);
  const stop = async () => {
    await sup.stopAll();
    rmSync(file, { force: true });
    rmSync(pidsFile, { force: true });
  };

  try {
    const env = baseEnv();
    // its children's lines reach a terminal (--verbose, or the last lines of one that failed): one readable line each, unless SHOAL_LOG_FORMAT says otherwise
    env.SHOAL_LOG_FORMAT ||= 'pretty';
    let natsArgv: string[];
    let coordEnv: NodeJS.ProcessEnv;
    let adminToken: string | undefined;
    let boot: SecureBootstrap | undefined;
    if (o.insecure) {
      if (o.leafPort !== undefined) throw new Error('--leaf-port needs the secured bus: leaf sites authenticate against its users (docs/multi-cluster.md); drop --insecure');
      say(insecureWarning(o.listen));
      mkdirSync(join(o.dataDir, 'nats'), { recursive: true });
      natsArgv = [natsBin, '-js', '-sd', join(o.dataDir, 'nats'), '-a', o.listen, '-p', String(natsPort)];
      coordEnv = { ...env, SHOAL_INSECURE: '1' };
    } else {
      boot = bootstrapSecurity({ dataDir: o.dataDir, topo, host: o.listen, port: natsPort, tls, leafPort: o.leafPort });
      adminToken = boot.adminToken;
      natsArgv = [natsBin, '-c', boot.nats.conf];
      coordEnv = {
        ...env,
        SHOAL_SECURITY_DIR: boot.securityDir,
        SHOAL_NATS_AUTH_FILE: boot.nats.auth,
        SHOAL_NATS_PID_FILE: boot.nats.pid,
        SHOAL_NATS_ADVERTISE: natsPublic,
        SHOAL_PUBLIC_URL: publicUrl,
        ...(tls ? { SHOAL_TLS_CERT: tls.cert, SHOAL_TLS_KEY: tls.key } : {}),
        ...(tls?.ca ? { SHOAL_NATS_CA_FILE: tls.ca } : {}),
      };
    }
    if (!o.insecure && !tls && exposed) {
      say(`note: the API and NATS listen on ${o.listen} without TLS: tokens and work travel in clear text; consider --tls generate`);
    }
    const runAs = resolveRunAs(o.runAs, process.getuid?.());
    await ensureUser(runAs, say);

    const nats = sup.launch({ name: 'nats-server', start: () => start('nats-server', natsArgv, env, echo('nats')) });
    await nats.waitFor(/Server is ready/, 20_000).catch(portHint('NATS', natsPort, '--nats-port', -1));
    sup.supervise('nats-server');

    const coordArgv = [process.execPath, join(appsDir, 'coordinator', 'dist', 'main.js')];
    // one name for the coordinator of this data dir, whatever its port: a coordinator restarted by a
    // later shoal up takes over the lease its killed predecessor left at once (not after the lease period)
    const coordinatorId = env.SHOAL_COORDINATOR_ID || `up-${hostname()}-${createHash('sha256').update(resolve(o.dataDir)).digest('hex').slice(0, 8)}`;
    const coordEnvFull = { ...coordEnv, NATS_URL: natsLocal, PORT: String(apiPort), HOST: o.listen, SHOAL_COORDINATOR_ID: coordinatorId };
    const coord = sup.launch({ name: 'coordinator', start: () => start('coordinator', coordArgv, coordEnvFull, echo('coordinator')) });
    await coord.waitFor(/listening on (https?:\/\/\S+)/, 60_000).catch(portHint('API', apiPort, '--port', 0));
    sup.supervise('coordinator');

    const client = new ApiClient({ base: api, token: adminToken, tokenSource: 'the admin token of shoal up', ca: caPem, caFile: tls?.ca });
    const nodeDir = nodeDataDir(join(o.dataDir, 'node', o.nodeId), runAs, o.nodeId, say);
    const agentEnv: NodeJS.ProcessEnv = {
      ...env,
      NATS_URL: natsLocal,
      SHOAL_NODE_ID: o.nodeId,
      SHOAL_TMUX_SOCKET: o.tmuxSocket,
      SHOAL_DATA_DIR: nodeDir,
      SHOAL_PULSE_MS: String(o.pulseMs),
      SHOAL_RUN_AS: runAs,
      ...(tls?.ca ? { NODE_EXTRA_CA_CERTS: tls.ca } : {}),
    };
    const main = join(appsDir, 'node-agent', 'dist', 'main.js');
    const agent = await launchLocalNode({ nodeId: o.nodeId, dir: nodeDir, env: agentEnv, main, api, natsLocal, topo, caPem, boot, echo: echo('node-agent') }, client, sup);
    await agent.waitFor(/ready: governor/, 60_000);
    sup.supervise('node-agent');
    const deadline = Date.now() + 30_000;
    while (!(await client.nodes().catch(() => [])).some((n) => n.id === o.nodeId && n.state === 'alive')) {
      if (sup.isStopping) throw new Error('stopped while starting');
      if (Date.now() > deadline) throw new Error(`node ${o.nodeId} did not register with the coordinator`);
      await new Promise((r) => setTimeout(r, 100));
    }

    let joinCommand: string | undefined;
    if (boot) {
      const minted = await client.joinToken();
      joinCommand = minted.command ?? `shoal join ${publicUrl} --token ${minted.token}`;
      if (tls?.ca) joinCommand += ` --tls-ca ${tls.ca}`;
    }
    const info: ClusterInfo = { api, publicUrl, nats: natsPublic, tmuxSocket: o.tmuxSocket, pid: process.pid, ...(adminToken ? { token: adminToken } : {}), ...(tls?.ca ? { ca: tls.ca } : {}) };
    writeSecretFile(file, `${JSON.stringify(info, null, 2)}\n`);
    return { api, publicUrl, nats: natsPublic, joinCommand, caFile: tls?.ca, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** What `--insecure` says, loudly. */
export function insecureWarning(listen: string): string {
  const bar = '!'.repeat(78);
  const open = isLoopback(listen) ? 'any local user or web page' : `anyone who can reach ${listen}`;
  return `${bar}\n!! INSECURE: no API tokens, anonymous NATS. ${open} can submit plans and\n!! publish work that runs commands on this host. Use it only on a machine you trust alone.\n${bar}`;
}

/** Turns "address in use" into what to do about it; other errors pass unchanged. */
function portHint(what: string, port: number, flag: string, any: number): (e: Error) => never {
  return (e) => {
    if (/address already in use|EADDRINUSE/i.test(e.message)) throw new Error(`the ${what} port ${port} is taken by another program: pass ${flag} <port> (${any}: any free one)\n${e.message}`);
    throw e;
  };
}
