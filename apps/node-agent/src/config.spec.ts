import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultGovernorPrefix, loadNodeAgentConfig } from './config.js';

describe('node-agent config', () => {
  it('gives every node its own governor prefix, always a valid group name', () => {
    const valid = /^[a-z0-9][a-z0-9-]{0,62}$/;
    for (const id of ['node-a', 'Node_A.example.com', '---', 'x'.repeat(200), 'gpu-1.zone-b']) {
      expect(defaultGovernorPrefix(id)).toMatch(valid);
    }
    expect(defaultGovernorPrefix('Node_A.local')).toBe('shoal-node-a-local');
    expect(defaultGovernorPrefix('node-a')).not.toBe(defaultGovernorPrefix('node-b'));
    expect(loadNodeAgentConfig({ SHOAL_NODE_ID: 'worker-7' }).governorPrefix).toBe('shoal-worker-7');
    expect(loadNodeAgentConfig({ SHOAL_NODE_ID: 'worker-7', SHOAL_GOVERNOR_PREFIX: 'mine' }).governorPrefix).toBe('mine');
  });
});

describe('SHOAL_RUN_AS / SHOAL_AGENT_UIDS', () => {
  it('is off by default (warm pool as configured); a user name turns it on and the warm pool off', () => {
    const off = loadNodeAgentConfig({ SHOAL_NODE_ID: 'n' });
    expect(off.runAs).toBeUndefined();
    expect(off.warmPool).toBe(2);
    expect(off.agentUids).toEqual({ first: 2_000_000, last: 2_000_999 });
    expect(loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_RUN_AS: 'off', SHOAL_WARM_POOL: '3' }).warmPool).toBe(3);
    const on = loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_RUN_AS: 'shoal-agent', SHOAL_WARM_POOL: '3', SHOAL_AGENT_UIDS: '3000000-3000099' });
    expect(on).toMatchObject({ runAs: 'shoal-agent', warmPool: 0, agentUids: { first: 3_000_000, last: 3_000_099 } });
    expect(() => loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_AGENT_UIDS: '0-100' })).toThrow(/SHOAL_AGENT_UIDS/);
  });
});

describe('bus identity, stop_after and keeping agents on exit', () => {
  it('an enrolled node without SHOAL_NODE_ID takes the id of its credentials file (and the names derived from it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-config-'));
    try {
      writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ nodeId: 'enrolled-x' }));
      const c = loadNodeAgentConfig({ SHOAL_DATA_DIR: dir });
      expect(c).toMatchObject({ nodeId: 'enrolled-x', nodeIdExplicit: false, credentialsPath: join(dir, 'credentials.json'), tmuxSocket: 'shoal-enrolled-x', governorPrefix: 'shoal-enrolled-x' });
      expect(loadNodeAgentConfig({ SHOAL_DATA_DIR: dir, SHOAL_NODE_ID: 'other' })).toMatchObject({ nodeId: 'other', nodeIdExplicit: true });
      expect(loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_CREDENTIALS: '/etc/shoal/c.json' }).credentialsPath).toBe('/etc/shoal/c.json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the join settings, stop_after (default 60 s, 0 = off) and the exit policy', () => {
    const d = loadNodeAgentConfig({ SHOAL_NODE_ID: 'n' });
    expect(d).toMatchObject({ joinUrl: undefined, joinToken: undefined, stopAfterMs: 60_000, stopAfterInteractive: false, keepAgentsOnExit: false });
    const c = loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_JOIN_URL: 'https://c:8080', SHOAL_JOIN_TOKEN: 't0123456789', SHOAL_STOP_AFTER_MS: '0', SHOAL_STOP_AFTER_INTERACTIVE: '1', SHOAL_KEEP_AGENTS_ON_EXIT: '1' });
    expect(c).toMatchObject({ joinUrl: 'https://c:8080', joinToken: 't0123456789', stopAfterMs: 0, stopAfterInteractive: true, keepAgentsOnExit: true });
    expect(() => loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_KEEP_AGENTS_ON_EXIT: 'yes' })).toThrow(/SHOAL_KEEP_AGENTS_ON_EXIT/);
    expect(() => loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_STOP_AFTER_MS: '-1' })).toThrow(/SHOAL_STOP_AFTER_MS/);
  });
});

describe('SHOAL_METRICS_PORT / SHOAL_METRICS_HOST', () => {
  it('is off unless a port is given; binds loopback unless told otherwise; refuses a bad port', () => {
    expect(loadNodeAgentConfig({ SHOAL_NODE_ID: 'n' }).metrics).toBeUndefined();
    expect(loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_METRICS_PORT: '' }).metrics).toBeUndefined();
    expect(loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_METRICS_PORT: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_METRICS_PORT: '9500', SHOAL_METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 9500 });
    expect(() => loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_METRICS_PORT: '70000' })).toThrow(/SHOAL_METRICS_PORT/);
    expect(() => loadNodeAgentConfig({ SHOAL_NODE_ID: 'n', SHOAL_METRICS_PORT: 'x' })).toThrow(/SHOAL_METRICS_PORT/);
  });
});
