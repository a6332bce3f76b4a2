import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { nodeInboxPrefix, topology, type Topology } from '@shoal/protocol';
import { type SecurityStore, connectNats, identitiesOf, newUserKeys, renderNatsAuthorization, writeNodeCredentials, writeSecretFile } from '@shoal/runtime';
import { type Disposables, type NatsClusterHandle, startNatsCluster } from '@shoal/testing';
import { bootstrapSecurity } from '../../../apps/cli/src/up/bootstrap.js';

/** Three (or `size`) clustered nats-servers with Shoal's authorization on every member. */
export interface SecureNatsCluster {
  cluster: NatsClusterHandle;
  /** Client URLs of the members (comma-join them for NATS_URL). */
  urls: string[];
  ns: string;
  topo: Topology;
  store: SecurityStore;
  adminToken: string;
  /** The authorization file every member includes (the coordinator rewrites it on enrolment). */
  authFile: string;
  /** Environment a coordinator needs (plus PORT and the like). */
  coordinatorEnv: Record<string, string>;
  /** A connection with the coordinator's identity (full rights in the namespace). */
  connectAsCoordinator(name?: string, servers?: string[]): Promise<NatsConnection>;
  /** Writes the credentials of a node enrolled up front, naming `servers` (default: every member). */
  writeCredentials(nodeId: string, dataDir: string, coordinatorUrl: string, servers?: string[]): void;
}

/**
 * Starts a secured 3-server JetStream cluster on loopback: `shoal up`'s own bootstrapSecurity makes
 * the security store and the authorization file, the nodes in `nodeIds` are enrolled before the
 * servers start (so every member loads them at once), and every member includes the same file.
 * Routes carry no auth (they listen on 127.0.0.1 only). `clientHosts[i]` moves member i's client
 * listener (e.g. to the host side of a veth pair for a node in a network namespace).
 */
export async function startSecureNatsCluster(
  dir: string,
  nodeIds: string[],
  disposables: Disposables,
  opts: { clientHosts?: string[]; size?: number } = {},
): Promise<SecureNatsCluster> {
  const ns = `c${Math.random().toString(36).slice(2, 10)}`;
  const topo = topology(ns);
  // port is unused: bootstrapSecurity's single-server nats.conf is not started, its auth.conf is
  const { store, adminToken, nats: files } = bootstrapSecurity({ dataDir: dir, topo, host: '127.0.0.1', port: 4222 });
  const keys = new Map<string, { seed: string; publicKey: string }>();
  for (const id of nodeIds) {
    const k = newUserKeys();
    store.enrol(store.createJoinToken().token, { id, publicKey: k.publicKey, enrolledAt: Date.now() });
    keys.set(id, k);
  }
  writeSecretFile(files.auth, renderNatsAuthorization(identitiesOf(store.snapshot, topo)));
  const seed = store.snapshot.coordinator.seed;
  const cluster = await startNatsCluster(opts.size ?? 3, {
    configDir: files.dir,
    include: 'auth.conf',
    clientHosts: opts.clientHosts,
    noAdvertise: true,
    connect: (urls) => connectNats(urls, 'chaos-probe', { seed }),
  });
  disposables.add(() => cluster.stop());
  const urls = cluster.urls;
  return {
    cluster,
    urls,
    ns,
    topo,
    store,
    adminToken,
    authFile: files.auth,
    coordinatorEnv: { NATS_URL: urls.join(','), SHOAL_NS: ns, SHOAL_SECURITY_DIR: store.dir, SHOAL_NATS_AUTH_FILE: files.auth },
    connectAsCoordinator: (name = 'chaos-observer', servers = urls) => connectNats(servers, name, { seed }),
    writeCredentials: (nodeId, dataDir, coordinatorUrl, servers = urls) => {
      const k = keys.get(nodeId);
      if (!k) throw new Error(`node ${nodeId} was not enrolled when the cluster started`);
      writeNodeCredentials(join(dataDir, 'credentials.json'), {
        nodeId,
        namespace: ns,
        servers,
        seed: k.seed,
        publicKey: k.publicKey,
        inboxPrefix: nodeInboxPrefix(topo, nodeId),
        coordinator: coordinatorUrl,
      });
    },
  };
}
