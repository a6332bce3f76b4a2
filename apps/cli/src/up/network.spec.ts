import type { NetworkInterfaceInfo } from 'node:os';
import { advertiseHost, isLoopback, localHost, urlHost } from './network.js';
import { nodeDataDir, othersCanTraverse, resolveRunAs } from './run-as.js';

const iface = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) => ({ address, family, internal }) as NetworkInterfaceInfo;
const interfaces = { lo: [iface('127.0.0.1', 'IPv4', true)], eth0: [iface('fe80::1', 'IPv6', false), iface('10.1.2.3', 'IPv4', false)] };

describe('shoal up addresses', () => {
  it('advertises the flag, else the listen address, else for a wildcard the first external IPv4', () => {
    expect(advertiseHost('0.0.0.0', 'ctl.example', interfaces, 'host')).toBe('ctl.example');
    expect(advertiseHost('127.0.0.1', undefined, interfaces, 'host')).toBe('127.0.0.1');
    expect(advertiseHost('10.9.9.9', undefined, interfaces, 'host')).toBe('10.9.9.9');
    expect(advertiseHost('0.0.0.0', undefined, interfaces, 'host')).toBe('10.1.2.3');
    expect(advertiseHost('::', undefined, interfaces, 'host')).toBe('10.1.2.3');
    expect(advertiseHost('0.0.0.0', undefined, { lo: interfaces.lo }, 'host')).toBe('host');
  });

  it('reaches a wildcard listener on loopback and brackets IPv6 in URLs', () => {
    expect([localHost('0.0.0.0'), localHost('::'), localHost('10.1.2.3')]).toEqual(['127.0.0.1', '::1', '10.1.2.3']);
    expect([urlHost('::1'), urlHost('10.1.2.3'), urlHost('[::1]')]).toEqual(['[::1]', '10.1.2.3', '[::1]']);
    expect(['127.0.0.1', '127.0.1.1', 'localhost', '::1', '0.0.0.0', '10.1.2.3'].map(isLoopback)).toEqual([true, true, true, true, false, false]);
  });

  it('runs agents as shoal-agent by default only when root', () => {
    expect(resolveRunAs(undefined, 0)).toBe('shoal-agent');
    expect(resolveRunAs(undefined, 1000)).toBe('off');
    expect(resolveRunAs('off', 0)).toBe('off');
    expect(resolveRunAs('builder', 1000)).toBe('builder');
  });
});

describe('node data dir with unprivileged agents', () => {
  const modes: Record<string, number> = { '/': 0o755, '/root': 0o700, '/root/.shoal': 0o755, '/home': 0o755, '/home/ann': 0o751, '/tmp': 0o1777 };
  const modeOf = (p: string) => modes[p];

  it('needs every existing directory on the way to be searchable by others', () => {
    expect(othersCanTraverse('/root/.shoal/node/n1', modeOf)).toBe(false);
    expect(othersCanTraverse('/home/ann/.shoal/node/n1', modeOf)).toBe(true);
    expect(othersCanTraverse('/tmp/x/y', modeOf)).toBe(true);
  });

  it('moves node data out of reach-less places only when agents run as another user, and says so', () => {
    const said: string[] = [];
    expect(nodeDataDir('/root/.shoal/node/n1', 'off', 'n1', (s) => said.push(s), modeOf)).toBe('/root/.shoal/node/n1');
    expect(nodeDataDir('/home/ann/.shoal/node/n1', 'shoal-agent', 'n1', (s) => said.push(s), modeOf)).toBe('/home/ann/.shoal/node/n1');
    expect(said).toEqual([]);
    expect(nodeDataDir('/root/.shoal/node/n1', 'shoal-agent', 'n1', (s) => said.push(s), modeOf)).toBe('/var/lib/shoal/node/n1');
    expect(said).toEqual(['agents run as shoal-agent, who cannot reach /root/.shoal/node/n1: node data (credentials 0600, logs, worktrees) goes to /var/lib/shoal/node/n1']);
  });
});

describe('generated certificate names', () => {
  it('lists IPs as IP: and names as DNS:, once each, without wildcard listen addresses', async () => {
    const { subjectAltNames } = await import('./tls-generate.js');
    expect(subjectAltNames(['10.1.2.3', '0.0.0.0', '127.0.0.1', 'localhost', 'ctl.example', '[::1]', '127.0.0.1'])).toBe('IP:10.1.2.3,IP:127.0.0.1,DNS:localhost,DNS:ctl.example,IP:::1');
  });
});

describe('cluster addresses', () => {
  it('reaches a wildcard listener on loopback locally and on the advertised host from elsewhere', async () => {
    const { clusterAddresses } = await import('./addresses.js');
    expect(clusterAddresses({ listen: '0.0.0.0', advertise: '10.1.2.3', apiPort: 8080, natsPort: 4222, tls: false })).toEqual({
      api: 'http://127.0.0.1:8080',
      publicUrl: 'http://10.1.2.3:8080',
      natsLocal: 'nats://127.0.0.1:4222',
      natsPublic: 'nats://10.1.2.3:4222',
      exposed: true,
    });
    expect(clusterAddresses({ listen: '127.0.0.1', advertise: '127.0.0.1', apiPort: 1, natsPort: 2, tls: false })).toMatchObject({ api: 'http://127.0.0.1:1', exposed: false });
  });

  it('with TLS uses the advertised name everywhere (the certificate is made out to it)', async () => {
    const { clusterAddresses } = await import('./addresses.js');
    expect(clusterAddresses({ listen: '::', advertise: 'ctl.example', apiPort: 8443, natsPort: 4222, tls: true })).toEqual({
      api: 'https://ctl.example:8443',
      publicUrl: 'https://ctl.example:8443',
      natsLocal: 'tls://ctl.example:4222',
      natsPublic: 'tls://ctl.example:4222',
      exposed: true,
    });
  });
});
