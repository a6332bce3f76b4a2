import { topology } from '@shoal/protocol';
import { renderLeafAuthorization, renderLeafServerConfig } from './leaf-config.js';

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

describe('renderLeafAuthorization', () => {
  it("lists the site's nodes with their leaf rights and nothing anonymous", () => {
    const text = renderLeafAuthorization(topology('shoal'), [{ id: 'b1', publicKey: `U${'B'.repeat(55)}` }], 'hub');
    expect(text).toContain(`nkey: "U${'B'.repeat(55)}"`);
    expect(text).toContain('"$JS.hub.API.CONSUMER.MSG.NEXT.SHOAL_WORK.node-b1"');
    expect(text).not.toMatch(/user:|"\$JS\.API\./);
  });
});
