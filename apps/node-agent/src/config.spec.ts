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
