import { describe, expect, it } from '@jest/globals';
import { routeWrite } from './forward-writes.js';

const standby = { active: false, role: 'standby', coordinatorId: 'b' };
const leader = { coordinatorId: 'a', url: 'http://a:8080', term: 3 };

describe('routeWrite', () => {
  it('reads are answered by any replica, writes by an active leader itself', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS']) expect(routeWrite(m, undefined, standby, leader)).toEqual({ kind: 'local' });
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH']) expect(routeWrite(m, undefined, { ...standby, active: true, role: 'leader' }, undefined)).toEqual({ kind: 'local' });
  });

  it('a standby forwards writes to the leader of the lease', () => {
    expect(routeWrite('POST', undefined, standby, leader)).toEqual({ kind: 'forward', url: 'http://a:8080', leader: 'a' });
    expect(routeWrite('delete', undefined, standby, leader)).toMatchObject({ kind: 'forward' });
  });

  it('refuses when no leader is known, when the write was forwarded already, and while its own lease is not renewed', () => {
    expect(routeWrite('POST', undefined, standby, undefined)).toMatchObject({ kind: 'refuse', message: expect.stringMatching(/election is in progress/) });
    expect(routeWrite('POST', 'c', standby, leader)).toMatchObject({ kind: 'refuse', message: expect.stringContaining('http://a:8080') });
    expect(routeWrite('POST', undefined, { active: false, role: 'suspended', coordinatorId: 'a' }, undefined)).toMatchObject({ kind: 'refuse', message: expect.stringMatching(/could not renew/) });
  });
});
