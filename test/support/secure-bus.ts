import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { nodeInboxPrefix, topology } from '@shoal/protocol';
import { SecurityStore, connectNats, identitiesOf, newUserKeys, renderNatsAuthorization, renderNatsServerConfig, writeNodeCredentials } from '@shoal/runtime';
import { type Disposables, type NatsServerHandle, freePort, startNats } from '@shoal/testing';

/** A nats-server with Shoal's authorization on, and the security state of its control host. */
export interface SecureBus {
  nats: NatsServerHandle;
  /** Namespace of this bus's subjects and streams. */
  ns: string;
  store: SecurityStore;
  /** The control host's admin API token. */
  adminToken: string;
  /** Environment a coordinator needs to use this bus with security on. */
  coordinatorEnv: Record<string, string>;
  /** Enrols a node (as the coordinator would) and writes its credentials file; returns its seed. */
  enrolNode(nodeId: string, dataDir: string, coordinatorUrl?: string): { seed: string; publicKey: string };
  /** Rewrites the authorization file from the store and signals a reload (no restart); callers wait for its effect. */
  reloadAuthorization(): Promise<void>;
  /** A connection with the coordinator's identity (full rights in the namespace). */
  connectAsCoordinator(): Promise<NatsConnection>;
  /** A connection as an enrolled node (its own inbox prefix). */
  connectAsNode(nodeId: string, seed: string): Promise<NatsConnection>;
}

/**
 * Starts a nats-server whose config holds only Shoal identities (no anonymous access): the same
 * files `shoal up` writes (nats.conf including auth.conf), in `dir`.
 */
export async function startSecureBus(dir: string, disposables: Disposables, ns = `t${Math.random().toString(36).slice(2, 10)}`): Promise<SecureBus> {
  const natsDir = join(dir, 'nats');
  mkdirSync(natsDir, { recursive: true, mode: 0o700 });
  const store = SecurityStore.init(join(dir, 'security'));
  const topo = topology(ns);
  const authFile = join(natsDir, 'auth.conf');
  const pidFile = join(natsDir, 'nats.pid');
  const writeAuth = () => writeFileSync(authFile, renderNatsAuthorization(identitiesOf(store.snapshot, topo)), { mode: 0o600 });
  writeAuth();
  const port = await freePort();
  const configFile = join(natsDir, 'nats.conf');
  writeFileSync(configFile, renderNatsServerConfig({ host: '127.0.0.1', port, storeDir: join(natsDir, 'js'), authFile: 'auth.conf', pidFile }), { mode: 0o600 });
  const nats = await startNats({ mode: 'local', configFile, port });
  disposables.add(() => nats.stop());
  const bus: SecureBus = {
    nats,
    ns,
    store,
    adminToken: store.adminToken()!,
    coordinatorEnv: {
      NATS_URL: nats.url,
      SHOAL_NS: ns,
      SHOAL_SECURITY_DIR: store.dir,
      SHOAL_NATS_AUTH_FILE: authFile,
      SHOAL_NATS_PID_FILE: pidFile,
    },
    enrolNode: (nodeId, dataDir, coordinatorUrl = 'http://127.0.0.1:0') => {
      const keys = newUserKeys();
      store.enrol(store.createJoinToken().token, { id: nodeId, publicKey: keys.publicKey, enrolledAt: Date.now() });
      writeNodeCredentials(join(dataDir, 'credentials.json'), {
        nodeId,
        namespace: ns,
        servers: [nats.url],
        seed: keys.seed,
        publicKey: keys.publicKey,
        inboxPrefix: nodeInboxPrefix(topo, nodeId),
        coordinator: coordinatorUrl,
      });
      return keys;
    },
    reloadAuthorization: async () => {
      writeAuth();
      if (nats.pid !== undefined) process.kill(nats.pid, 'SIGHUP');
    },
    connectAsCoordinator: () => connectNats(nats.url, 'test-coordinator', { seed: store.snapshot.coordinator.seed }),
    connectAsNode: (nodeId, seed) => connectNats(nats.url, `test-node-${nodeId}`, { seed, inboxPrefix: nodeInboxPrefix(topo, nodeId) }),
  };
  return bus;
}
