import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Topology } from '@shoal/protocol';
import type { ApiClient } from '../api-client.js';
import { type Managed, start } from '../processes.js';
import type { Supervisor } from '../supervise/supervisor.js';
import { reuseLocalCredentials, type SecureBootstrap } from './bootstrap.js';

/** What the local node-agent of `shoal up` needs. */
export interface LocalNodeOptions {
  nodeId: string;
  /** Its data dir (credentials, logs, worktrees). */
  dir: string;
  /** The node-agent's environment (NATS_URL, node id, socket, run-as ...). */
  env: NodeJS.ProcessEnv;
  main: string;
  api: string;
  natsLocal: string;
  topo: Topology;
  caPem?: string;
  /** Undefined with --insecure (anonymous NATS). */
  boot?: SecureBootstrap;
  echo?: (line: string) => void;
}

const REMOVED = /NATS does not accept this node's credentials/;

/**
 * Starts the local node-agent under `sup`: with its credentials when they are still enrolled,
 * else with a join token minted through the API (admin token). A restart uses the credentials the
 * first start wrote. A node removed with `shoal nodes remove` is not restarted; the rest of the
 * cluster keeps running and the next `shoal up` enrols it again.
 */
export async function launchLocalNode(o: LocalNodeOptions, client: ApiClient, sup: Supervisor): Promise<Managed> {
  const credentials = join(o.dir, 'credentials.json');
  let firstEnv = o.env;
  if (o.boot && !reuseLocalCredentials(credentials, o.boot.store, o.topo, [o.natsLocal], o.caPem)) {
    // this host's own node, enrolled before with credentials it no longer has (deleted, or another
    // data dir): its old identity is revoked so that it can enrol again with new ones
    if (o.boot.store.snapshot.nodes.some((n) => n.id === o.nodeId)) {
      await client.removeNode(o.nodeId);
      o.echo?.(`node ${o.nodeId}: its enrolled credentials are gone from ${o.dir}; the old identity is revoked and the node enrols again`);
    }
    const { token } = await client.joinToken();
    firstEnv = { ...o.env, SHOAL_JOIN_URL: o.api, SHOAL_JOIN_TOKEN: token };
  }
  return sup.launch({
    name: 'node-agent',
    start: () => start('node-agent', [process.execPath, o.main], existsSync(credentials) ? o.env : firstEnv, o.echo),
    hopeless: (p) => (p.lines.some((l) => REMOVED.test(l)) ? `node ${o.nodeId} was removed from the cluster (the next \`shoal up\` enrols it again)` : undefined),
    optional: true,
  });
}
