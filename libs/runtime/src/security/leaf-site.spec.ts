import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodePermissions, topology } from '@shoal/protocol';
import { domainApiPrefix, leafLinkUsersOf, leafNodePermissions, siteLinkPermissions, siteLinkUserName } from './leaf-site.js';
import { renderNatsAuthorization } from './nats-auth.js';
import { SecurityStore } from './security-store.js';

const topo = topology('shoal');
const HASH = `$2b$10$${'a'.repeat(53)}`;

describe('leaf site permissions', () => {
  it("gives a leaf-side node its own rights with the JetStream API in the hub's domain", () => {
    const own = nodePermissions(topo, 'b1');
    const leaf = leafNodePermissions(topo, 'b1', 'hub');
    expect(leaf.subscribe).toEqual(own.subscribe);
    expect(leaf.allowResponses).toBe(true);
    expect(leaf.publish).toContain('$JS.hub.API.CONSUMER.MSG.NEXT.SHOAL_WORK.node-b1');
    expect(leaf.publish).toContain('$JS.ACK.SHOAL_WORK.node-b1.>');
    expect(leaf.publish.filter((s) => s.startsWith('$JS.API.'))).toEqual([]);
  });

  it("limits a site's link to the union of its nodes' rights plus replies", () => {
    const link = siteLinkPermissions(topo, ['b1', 'b2'], 'hub');
    expect(link.publish).toEqual(expect.arrayContaining(['shoal.hb.b1', 'shoal.hb.b2', '_INBOX.>']));
    expect(link.subscribe).toEqual(expect.arrayContaining(['shoal.ctl.b1', 'shoal.ctl.b2']));
    expect(link.publish.some((s) => s.startsWith('shoal.work.') || s.startsWith('$JS.hub.API.STREAM'))).toBe(false);
    expect(link.subscribe).not.toContain('shoal.>');
    expect(new Set(link.publish).size).toBe(link.publish.length);
  });

  it('never renders an empty allow list (nats-server reads it as "everything") for a site without nodes', () => {
    const link = siteLinkPermissions(topo, [], 'hub');
    expect(link.subscribe).toEqual(['_SHOAL_SITE_WITHOUT_NODES']);
    expect(link.publish).toEqual(['_INBOX.>']);
  });

  it('refuses names that would break subjects or user names', () => {
    expect(() => domainApiPrefix('a.b')).toThrow(/JetStream domain/);
    expect(() => siteLinkUserName('B Site')).toThrow(/site name/);
    expect(siteLinkUserName('b')).toBe('leaf-b');
  });
});

describe('leaf sites in the security store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shoal-leaf-site-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('renders one link user per site with the rights of the nodes that declared site=<name>', () => {
    const store = SecurityStore.init(dir);
    store.putLeafSite('b', HASH);
    const enrol = (id: string, labels?: Record<string, string>) =>
      store.enrol(store.createJoinToken().token, { id, publicKey: `U${id.toUpperCase().padEnd(55, 'A')}`.slice(0, 56), enrolledAt: 0, ...(labels ? { labels } : {}) });
    enrol('b1', { site: 'b', region: 'b' });
    enrol('a1', { region: 'a' });
    const [user, ...rest] = leafLinkUsersOf(store.snapshot, topo);
    expect(rest).toEqual([]);
    expect(user).toMatchObject({ user: 'leaf-b', password: HASH });
    expect(user!.permissions.subscribe).toEqual(expect.arrayContaining(['shoal.ctl.b1']));
    expect(user!.permissions.publish.concat(user!.permissions.subscribe).join(' ')).not.toMatch(/\ba1\b/);
    const text = renderNatsAuthorization([], leafLinkUsersOf(store.snapshot, topo));
    expect(text).toContain(`{ user: "leaf-b", password: "${HASH}", permissions: {`);
    expect(SecurityStore.open(dir).snapshot.leafSites?.map((s) => s.name)).toEqual(['b']);
    expect(store.removeLeafSite('b')).toBe(true);
    expect(leafLinkUsersOf(store.snapshot, topo)).toEqual([]);
  });

  it('takes only a bcrypt hash and a plain site name', () => {
    const store = SecurityStore.init(dir);
    expect(() => store.putLeafSite('b', 'plain-password')).toThrow(/bcrypt/);
    expect(() => store.putLeafSite('B.x', HASH)).toThrow();
    expect(store.snapshot.leafSites ?? []).toEqual([]);
  });
});
