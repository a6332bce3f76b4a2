import { describe, expect, it } from '@jest/globals';
import { hostname } from 'node:os';
import { loadCoordinatorConfig } from '../config.js';
import { loadLeadershipConfig } from './leadership-config.js';

const base = { SHOAL_INSECURE: '1', PORT: '8080' };
const load = (env: Record<string, string>) => loadLeadershipConfig(loadCoordinatorConfig({ ...base, ...env }), { ...base, ...env });

describe('loadLeadershipConfig', () => {
  it('defaults: id <hostname>:<port>, the public URL or the listen address, a 5 s lease renewed every second', () => {
    expect(load({})).toEqual({ coordinatorId: `${hostname()}:8080`, url: 'http://127.0.0.1:8080', leaseMs: 5000, pulseMs: 1000 });
    expect(load({ SHOAL_PUBLIC_URL: 'https://shoal.example:8443/' }).url).toBe('https://shoal.example:8443');
    expect(load({ HOST: '0.0.0.0' }).url).toBe(`http://${hostname()}:8080`);
  });

  it('SHOAL_COORDINATOR_ID and SHOAL_LEADER_LEASE_MS (pulse a fifth of it, 100 ms to 1 s)', () => {
    expect(load({ SHOAL_COORDINATOR_ID: 'coord-a', SHOAL_LEADER_LEASE_MS: '2000' })).toMatchObject({ coordinatorId: 'coord-a', leaseMs: 2000, pulseMs: 400 });
    expect(load({ SHOAL_LEADER_LEASE_MS: '60000' }).pulseMs).toBe(1000);
    expect(() => load({ SHOAL_LEADER_LEASE_MS: '100' })).toThrow(/SHOAL_LEADER_LEASE_MS=100/);
    expect(() => load({ SHOAL_COORDINATOR_ID: 'a b' })).toThrow(/SHOAL_COORDINATOR_ID/);
  });

  it('with PORT=0 two processes on one host get different ids', () => {
    expect(load({ PORT: '0' }).coordinatorId).not.toBe(load({ PORT: '0' }).coordinatorId);
  });
});
