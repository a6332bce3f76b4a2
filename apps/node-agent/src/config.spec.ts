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
