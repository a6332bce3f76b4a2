import { nodePermissions, topology } from '@shoal/protocol';
import { domainApiPrefix, leafNodePermissions, renderLeafServerConfig, siteLinkPermissions, siteLinkUserName } from './leaf-config.js';

const topo = topology('shoal');

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

  it('refuses names that would break subjects or user names', () => {
    expect(() => domainApiPrefix('a.b')).toThrow(/JetStream domain/);
    expect(() => siteLinkUserName('B Site')).toThrow(/site name/);
    expect(siteLinkUserName('b')).toBe('leaf-b');
  });
});

describe('renderLeafServerConfig', () => {
  const base = { serverName: 'site-b', host: '127.0.0.1', port: 4223, hubUrls: ['nats-leaf://hub.example:7422'], user: 'leaf-b', password: 'p/w+x', jsDomain: 'hub', authFile: 'auth.conf' };

  it('maps the JetStream API onto the hub domain and puts the encoded credentials in the remote URL', () => {
    const conf = renderLeafServerConfig(base);
    expect(conf).toContain('mappings { "$JS.API.>": "$JS.hub.API.>" }');
    expect(conf).toContain('"nats-leaf://leaf-b:p%2Fw%2Bx@hub.example:7422"');
    expect(conf).toContain('include "auth.conf"');
    expect(conf).not.toMatch(/jetstream/);
  });

  it('refuses credentials in the hub URL and an auth file path', () => {
    expect(() => renderLeafServerConfig({ ...base, hubUrls: ['nats-leaf://u:p@hub:7422'] })).toThrow(/credentials/);
    expect(() => renderLeafServerConfig({ ...base, authFile: '/etc/auth.conf' })).toThrow(/file name/);
  });
});
