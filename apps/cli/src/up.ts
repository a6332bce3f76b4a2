import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient, clusterFile } from './api-client.js';
import { type Managed, requireBinary, start } from './processes.js';

/** Options of `shoal up`. */
export interface UpOptions {
  dataDir: string;
  port: number;
  natsPort: number;
  nodeId: string;
  tmuxSocket: string;
  pulseMs: number;
  verbose: boolean;
}

const appsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Starts a local cluster: nats-server with JetStream in the data dir, a coordinator and a
 * node-agent. Resolves when all three are ready; returns the stop function.
 */
export async function up(o: UpOptions, say: (s: string) => void): Promise<{ api: string; nats: string; stop: () => Promise<void> }> {
  const nats = requireBinary('nats-server');
  requireBinary('tmux');
  mkdirSync(join(o.dataDir, 'nats'), { recursive: true });
  const procs: Managed[] = [];
  const echo = (name: string) => (o.verbose ? (l: string) => say(`[${name}] ${l}`) : undefined);
  const stop = async () => {
    for (const p of [...procs].reverse()) await p.stop();
    rmSync(clusterFile(o.dataDir), { force: true });
  };
  try {
    const ns = start('nats-server', [nats, '-js', '-sd', join(o.dataDir, 'nats'), '-a', '127.0.0.1', '-p', String(o.natsPort)], process.env, echo('nats'));
    procs.push(ns);
    const [, natsPort] = await ns.waitFor(/Listening for client connections on [\d.]+:(\d+)/, 20_000);
    await ns.waitFor(/Server is ready/, 20_000);
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    const env = { ...process.env, NATS_URL: natsUrl };

    const coord = start('coordinator', [process.execPath, join(appsDir, 'coordinator', 'dist', 'main.js')], { ...env, PORT: String(o.port), HOST: '127.0.0.1' }, echo('coordinator'));
    procs.push(coord);
    const [, api] = await coord.waitFor(/listening on (http:\/\/\S+)/, 60_000);

    const agent = start(
      'node-agent',
      [process.execPath, join(appsDir, 'node-agent', 'dist', 'main.js')],
      { ...env, SHOAL_NODE_ID: o.nodeId, SHOAL_TMUX_SOCKET: o.tmuxSocket, SHOAL_DATA_DIR: join(o.dataDir, 'node', o.nodeId), SHOAL_PULSE_MS: String(o.pulseMs) },
      echo('node-agent'),
    );
    procs.push(agent);
    await agent.waitFor(/ready: governor/, 60_000);
    const client = new ApiClient(api!);
    const deadline = Date.now() + 30_000;
    while (!(await client.nodes().catch(() => [])).some((n) => n.id === o.nodeId && n.state === 'alive')) {
      if (Date.now() > deadline) throw new Error(`node ${o.nodeId} did not register with the coordinator`);
      await new Promise((r) => setTimeout(r, 100));
    }
    writeFileSync(clusterFile(o.dataDir), JSON.stringify({ api, nats: natsUrl, pid: process.pid, tmuxSocket: o.tmuxSocket }, null, 2));
    return { api: api!, nats: natsUrl, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
