import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topology } from '@shoal/protocol';
import { identitiesOf, renderNatsAuthorization } from './nats-auth.js';
import { newUserKeys } from './node-credentials.js';
import { ADMIN_TOKEN_FILE, SecurityStore, hashToken } from './security-store.js';

describe('SecurityStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shoal-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates its files owner-only and stores tokens only as hashes', () => {
    const store = SecurityStore.init(join(dir, 'sec'));
    const admin = store.adminToken()!;
    expect(admin).toMatch(/^shoal_admin_/);
    expect(statSync(join(dir, 'sec')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'sec', 'security.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'sec', ADMIN_TOKEN_FILE)).mode & 0o777).toBe(0o600);
    const join_ = store.createJoinToken(60_000, 1000).token;
    const text = readFileSync(join(dir, 'sec', 'security.json'), 'utf8');
    expect(text).not.toContain(admin);
    expect(text).not.toContain(join_);
    expect(text).toContain(hashToken(admin));
    expect(store.verifyApiToken(admin)?.scope).toBe('admin');
    expect(store.verifyApiToken(`${admin}x`)).toBeUndefined();
  });

  it('keeps its state across opens (a second init does not mint another coordinator key)', () => {
    const a = SecurityStore.init(join(dir, 'sec'));
    const b = SecurityStore.init(join(dir, 'sec'));
    expect(b.snapshot.coordinator.publicKey).toBe(a.snapshot.coordinator.publicKey);
    expect(b.adminToken()).toBe(a.adminToken());
  });

  it('a join token enrols once, before it expires, and never a second node', () => {
    const store = SecurityStore.init(join(dir, 'sec'));
    const { token } = store.createJoinToken(60_000, 1000);
    const k1 = newUserKeys();
    store.enrol(token, { id: 'n1', publicKey: k1.publicKey, enrolledAt: 0 }, 2000);
    expect(() => store.enrol(token, { id: 'n2', publicKey: newUserKeys().publicKey, enrolledAt: 0 }, 2001)).toThrow(/already used \(by node n1/);
    const late = store.createJoinToken(1000, 5000).token;
    expect(() => store.enrol(late, { id: 'n3', publicKey: newUserKeys().publicKey, enrolledAt: 0 }, 6000)).toThrow(/expired/);
    expect(() => store.enrol('shoaljoin_nope', { id: 'n4', publicKey: newUserKeys().publicKey, enrolledAt: 0 }, 6000)).toThrow(/unknown/);
    expect(store.snapshot.nodes.map((n) => n.id)).toEqual(['n1']);
  });

  it('refuses a node id already enrolled with another key, and one key for two nodes', () => {
    const store = SecurityStore.init(join(dir, 'sec'));
    const k1 = newUserKeys();
    store.enrol(store.createJoinToken().token, { id: 'n1', publicKey: k1.publicKey, enrolledAt: 0 });
    expect(() => store.enrol(store.createJoinToken().token, { id: 'n1', publicKey: newUserKeys().publicKey, enrolledAt: 0 })).toThrow(/already enrolled with another key/);
    expect(() => store.enrol(store.createJoinToken().token, { id: 'n2', publicKey: k1.publicKey, enrolledAt: 0 })).toThrow(/another node/);
    expect(store.removeNode('n1')).toBe(true);
    expect(store.removeNode('n1')).toBe(false);
  });

  it('renders one nkey user per identity; a removed node disappears from the authorization', () => {
    const store = SecurityStore.init(join(dir, 'sec'));
    const k1 = newUserKeys();
    store.enrol(store.createJoinToken().token, { id: 'n1', publicKey: k1.publicKey, enrolledAt: 0 });
    const topo = topology('shoal');
    const text = renderNatsAuthorization(identitiesOf(store.snapshot, topo));
    expect(text).toContain(`nkey: "${store.snapshot.coordinator.publicKey}"`);
    expect(text).toContain(`nkey: "${k1.publicKey}"`);
    expect(text).toContain('"shoal.status.n1"');
    expect(text).not.toContain(store.snapshot.coordinator.seed);
    store.removeNode('n1');
    expect(renderNatsAuthorization(identitiesOf(store.snapshot, topo))).not.toContain(k1.publicKey);
  });
});
