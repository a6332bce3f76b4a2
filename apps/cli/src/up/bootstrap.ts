import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeInboxPrefix, type Topology } from '@shoal/protocol';
import {
  HUB_JS_DOMAIN,
  identitiesOf,
  leafLinkUsersOf,
  readNodeCredentials,
  renderNatsAuthorization,
  renderNatsServerConfig,
  SecurityStore,
  type TlsFiles,
  writeNodeCredentials,
  writeSecretFile,
} from '@shoal/runtime';

/** The files of the bus of a control host, all in `<data-dir>/nats`. */
export interface NatsFiles {
  /** Also JetStream's store directory. */
  dir: string;
  conf: string;
  /** The generated `authorization {}` block (rewritten by the coordinator on every enrolment). */
  auth: string;
  pid: string;
}

/** What a secure `shoal up` prepared before starting anything. */
export interface SecureBootstrap {
  securityDir: string;
  store: SecurityStore;
  adminToken: string;
  nats: NatsFiles;
}

/**
 * Prepares a control host: the security store in `<data-dir>/security` (0700; coordinator key and
 * admin token made on first use), the nats-server config (listen address, JetStream store, pid
 * file, TLS) and its authorization file with every known identity. Nothing anonymous gets in.
 */
export function bootstrapSecurity(o: { dataDir: string; topo: Topology; host: string; port: number; tls?: TlsFiles; leafPort?: number }): SecureBootstrap {
  const securityDir = join(o.dataDir, 'security');
  const store = SecurityStore.init(securityDir);
  const adminToken = store.adminToken();
  if (!adminToken) throw new Error(`${join(securityDir, 'admin.token')} is missing: remove ${securityDir} to start over (every joined node must join again), or put the admin token back`);
  const dir = join(o.dataDir, 'nats');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const nats: NatsFiles = { dir, conf: join(dir, 'nats.conf'), auth: join(dir, 'auth.conf'), pid: join(dir, 'nats.pid') };
  writeSecretFile(nats.auth, renderNatsAuthorization(identitiesOf(store.snapshot, o.topo), leafLinkUsersOf(store.snapshot, o.topo)));
  writeFileSync(nats.conf, renderNatsServerConfig({ host: o.host, port: o.port, storeDir: dir, authFile: 'auth.conf', pidFile: nats.pid, tls: o.tls, ...(o.leafPort !== undefined ? { leafListen: `${o.host}:${o.leafPort}`, jsDomain: HUB_JS_DOMAIN } : {}) }), { mode: 0o600 });
  return { securityDir, store, adminToken, nats };
}

/**
 * Whether the local node-agent can start with the credentials it already has: they must exist and
 * still be enrolled with the same key. When they are, the bus address, namespace and CA are brought
 * up to date (the NATS port may differ from the last `up`); when they are stale they are removed,
 * and the caller enrols the node again.
 */
export function reuseLocalCredentials(path: string, store: SecurityStore, topo: Topology, servers: string[], caPem?: string): boolean {
  if (!existsSync(path)) return false;
  let creds;
  try {
    creds = readNodeCredentials(path);
  } catch {
    creds = undefined;
  }
  const enrolled = creds && store.snapshot.nodes.some((n) => n.id === creds.nodeId && n.publicKey === creds.publicKey);
  if (!creds || !enrolled) {
    rmSync(path, { force: true });
    return false;
  }
  const { caPem: _old, ...rest } = creds;
  writeNodeCredentials(path, { ...rest, servers, namespace: topo.ns, inboxPrefix: nodeInboxPrefix(topo, creds.nodeId), ...(caPem ? { caPem } : {}) });
  return true;
}
