import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { nodeInboxPrefix, topology } from '@shoal/protocol';
import { type SecurityStore, connectNats, identitiesOf, newUserKeys, renderNatsAuthorization, writeNodeCredentials, writeSecretFile } from '@shoal/runtime';
import { bootstrapSecurity } from '../../apps/cli/src/up/bootstrap.js';
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
  const topo = topology(ns);
  const port = await freePort();
  // the very files `shoal up` writes: security store, nats.conf and the auth.conf it includes
  const { store, adminToken, nats: files } = bootstrapSecurity({ dataDir: dir, topo, host: '127.0.0.1', port });
  const writeAuth = () => writeSecretFile(files.auth, renderNatsAuthorization(identitiesOf(store.snapshot, topo)));
  const nats = await startNats({ mode: 'local', configFile: files.conf, port });
  disposables.add(() => nats.stop());
  const bus: SecureBus = {
    nats,
    ns,
    store,
    adminToken,
    coordinatorEnv: {
      NATS_URL: nats.url,
      SHOAL_NS: ns,
      SHOAL_SECURITY_DIR: store.dir,
      SHOAL_NATS_AUTH_FILE: files.auth,
      SHOAL_NATS_PID_FILE: files.pid,
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
