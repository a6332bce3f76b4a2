import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { AuthenticationError, ConflictError, JOIN_TOKEN_TTL_MS, NotFoundError, type Scope, ValidationError } from '@shoal/protocol';

/** An enrolled node: the public half of the key pair it generated (its seed never leaves its host). */
export interface NodeIdentity {
  id: string;
  publicKey: string;
  enrolledAt: number;
  hostname?: string;
  labels?: Record<string, string>;
}

/** An API token as stored: only the SHA-256 of its secret. */
export interface ApiTokenRecord {
  id: string;
  name: string;
  scope: Scope;
  hash: string;
  createdAt: number;
}

/** A one-time join token as stored: its hash, its expiry, and who used it. */
export interface JoinTokenRecord {
  id: string;
  hash: string;
  createdAt: number;
  expiresAt: number;
  usedAt?: number;
  usedBy?: string;
}

/**
 * A remote site whose nats-server links to this control host's as a leaf node
 * (docs/multi-cluster.md): the link's user `leaf-<name>` and the bcrypt hash of its password.
 */
export interface LeafSiteRecord {
  name: string;
  passwordHash: string;
  createdAt: number;
}

/** Everything secret a control host keeps (file `security.json`, mode 0600, in a 0700 directory). */
export interface SecurityState {
  version: 1;
  /** The coordinator's NATS identity (its seed is the one secret that must stay in this file). */
  coordinator: { seed: string; publicKey: string };
  apiTokens: ApiTokenRecord[];
  joinTokens: JoinTokenRecord[];
  nodes: NodeIdentity[];
  /** Leaf sites; their links may act only as the nodes enrolled with label `site=<name>`. */
  leafSites?: LeafSiteRecord[];
}

const STATE_FILE = 'security.json';
/** The control host's own admin token (what `shoal` reads on that host), mode 0600. */
export const ADMIN_TOKEN_FILE = 'admin.token';

/** SHA-256 (hex) of a token; the only form in which tokens are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const secret = (bytes: number) => randomBytes(bytes).toString('base64url');

/** Writes a file readable by its owner only, atomically (temp file + rename). */
export function writeSecretFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * The control host's secrets: the coordinator's NATS key, API tokens (hashed), join tokens
 * (hashed, single use, expiring) and enrolled nodes. Only the coordinator writes it once it runs;
 * `shoal up` creates it before the bus starts.
 */
export class SecurityStore {
  private constructor(
    readonly dir: string,
    private state: SecurityState,
  ) {}

  /** Opens an existing store; throws naming the directory when there is none. */
  static open(dir: string): SecurityStore {
    const file = join(dir, STATE_FILE);
    if (!existsSync(file)) throw new NotFoundError(`no security state in ${dir} (run \`shoal up\` once to create it)`);
    return new SecurityStore(dir, JSON.parse(readFileSync(file, 'utf8')) as SecurityState);
  }

  /**
   * Opens the store, creating it (coordinator key, an admin token) on first use. The admin token's
   * plain text is written to `admin.token` (0600) so that `shoal` on this host finds it.
   */
  static init(dir: string, now = Date.now()): SecurityStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    if (existsSync(join(dir, STATE_FILE))) return SecurityStore.open(dir);
    const kp = createUser();
    const store = new SecurityStore(dir, {
      version: 1,
      coordinator: { seed: new TextDecoder().decode(kp.getSeed()), publicKey: kp.getPublicKey() },
      apiTokens: [],
      joinTokens: [],
      nodes: [],
    });
    const admin = store.createApiToken('admin', 'control host', now);
    writeSecretFile(join(dir, ADMIN_TOKEN_FILE), `${admin.token}\n`);
    return store;
  }

  /** Reads the control host's admin token, if this store has one. */
  adminToken(): string | undefined {
    const file = join(this.dir, ADMIN_TOKEN_FILE);
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  }

  get snapshot(): Readonly<SecurityState> {
    return this.state;
  }

  /** Re-reads the file (another process may have changed it). */
  reload(): void {
    this.state = JSON.parse(readFileSync(join(this.dir, STATE_FILE), 'utf8')) as SecurityState;
  }

  /** The token record a bearer token belongs to, or undefined (compared by hash, in constant time). */
  verifyApiToken(token: string): ApiTokenRecord | undefined {
    const h = Buffer.from(hashToken(token), 'hex');
    return this.state.apiTokens.find((t) => timingSafeEqual(Buffer.from(t.hash, 'hex'), h));
  }

  /** Mints an API token; its plain text is returned once and never stored. */
  createApiToken(scope: Scope, name: string, now = Date.now()): { token: string; record: ApiTokenRecord } {
    const token = `shoal_${scope}_${secret(32)}`;
    const record: ApiTokenRecord = { id: randomUUID(), name, scope, hash: hashToken(token), createdAt: now };
    this.save({ ...this.state, apiTokens: [...this.state.apiTokens, record] });
    return { token, record };
  }

  /** Revokes an API token by id. */
  revokeApiToken(id: string): boolean {
    const left = this.state.apiTokens.filter((t) => t.id !== id);
    if (left.length === this.state.apiTokens.length) return false;
    this.save({ ...this.state, apiTokens: left });
    return true;
  }

  /** Mints a one-time join token (default lifetime one hour); expired ones are forgotten. */
  createJoinToken(ttlMs = JOIN_TOKEN_TTL_MS, now = Date.now()): { token: string; record: JoinTokenRecord } {
    const token = `shoaljoin_${secret(24)}`;
    const record: JoinTokenRecord = { id: randomUUID(), hash: hashToken(token), createdAt: now, expiresAt: now + ttlMs };
    const live = this.state.joinTokens.filter((t) => t.expiresAt > now - 86_400_000);
    this.save({ ...this.state, joinTokens: [...live, record] });
    return { token, record };
  }

  /**
   * Enrols a node: the join token must exist, be unexpired and unused; it is marked used before
   * the node is recorded, so a token can never enrol twice. A node id already enrolled with
   * another key is refused (remove it first).
   */
  enrol(token: string, node: NodeIdentity, now = Date.now()): NodeIdentity {
    const h = hashToken(token);
    const jt = this.state.joinTokens.find((t) => t.hash === h);
    if (!jt) throw new AuthenticationError('join token unknown (mint one with `shoal token join`)');
    if (jt.usedAt !== undefined) throw new AuthenticationError(`join token already used (by node ${jt.usedBy} at ${new Date(jt.usedAt).toISOString()}); mint another with \`shoal token join\``);
    if (jt.expiresAt <= now) throw new AuthenticationError(`join token expired at ${new Date(jt.expiresAt).toISOString()}; mint another with \`shoal token join\``);
    const existing = this.state.nodes.find((n) => n.id === node.id);
    if (existing && existing.publicKey !== node.publicKey) {
      throw new ConflictError(`node ${node.id} is already enrolled with another key; remove it first (\`shoal nodes remove ${node.id}\`) or join with another --node-id`);
    }
    if (this.state.nodes.some((n) => n.publicKey === node.publicKey && n.id !== node.id)) {
      throw new ValidationError([{ path: 'publicKey', message: 'is already enrolled for another node; every node needs its own key' }]);
    }
    const joinTokens = this.state.joinTokens.map((t) => (t === jt ? { ...t, usedAt: now, usedBy: node.id } : t));
    const nodes = [...this.state.nodes.filter((n) => n.id !== node.id), { ...node, enrolledAt: now }];
    this.save({ ...this.state, joinTokens, nodes });
    return nodes[nodes.length - 1]!;
  }

  /** Forgets a node's identity (its credentials stop working at the next bus reload). */
  removeNode(id: string): boolean {
    const nodes = this.state.nodes.filter((n) => n.id !== id);
    if (nodes.length === this.state.nodes.length) return false;
    this.save({ ...this.state, nodes });
    return true;
  }

  /**
   * Records a leaf site (or replaces its password hash): its link may then connect as
   * `leaf-<name>` with the rights of the nodes that declare `site=<name>`. Takes only a bcrypt hash.
   */
  putLeafSite(name: string, passwordHash: string, now = Date.now()): LeafSiteRecord {
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name)) throw new ValidationError([{ path: 'name', message: "lower-case letters, digits and '-' (at most 31)" }]);
    if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(passwordHash)) throw new ValidationError([{ path: 'passwordHash', message: 'must be a bcrypt hash ($2a$, $2b$ or $2y$)' }]);
    const record: LeafSiteRecord = { name, passwordHash, createdAt: now };
    this.save({ ...this.state, leafSites: [...(this.state.leafSites ?? []).filter((s) => s.name !== name), record] });
    return record;
  }

  /** Forgets a leaf site (its link is refused at the next bus reload). */
  removeLeafSite(name: string): boolean {
    const left = (this.state.leafSites ?? []).filter((s) => s.name !== name);
    if (left.length === (this.state.leafSites ?? []).length) return false;
    this.save({ ...this.state, leafSites: left });
    return true;
  }

  private save(next: SecurityState): void {
    writeSecretFile(join(this.dir, STATE_FILE), `${JSON.stringify(next, null, 2)}\n`);
    this.state = next;
  }
}
