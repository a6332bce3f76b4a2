import { coordinatorPermissions, nodePermissions } from './security.js';
import { topology } from './subjects.js';

// The permissions are built inside each test (not at describe time) so that every line of
// nodePermissions / coordinatorPermissions runs under the test that checks it.

describe('coordinator permissions', () => {
  it('publish exactly its namespace, the JetStream API, acks, flow control, KV and its inbox', () => {
    expect(coordinatorPermissions(topology('fleet')).publish).toEqual(['fleet.>', '$JS.API.>', '$JS.ACK.>', '$JS.FC.>', '$KV.>', '_INBOX.>']);
  });

  it('subscribe exactly to its namespace, its inbox and KV', () => {
    expect(coordinatorPermissions(topology('fleet')).subscribe).toEqual(['fleet.>', '_INBOX.>', '$KV.>']);
  });

  it('may answer requests sent to it', () => {
    expect(coordinatorPermissions(topology('fleet')).allowResponses).toBe(true);
  });

  it('follow the namespace they are built for', () => {
    const c = coordinatorPermissions(topology('other-ns'));
    expect(c.publish[0]).toBe('other-ns.>');
    expect(c.subscribe[0]).toBe('other-ns.>');
  });
});

describe('node permissions, built per node', () => {
  it('publish on its consumer, ack subject, status, heartbeat, output and check-ins, and nothing else', () => {
    expect(nodePermissions(topology('fleet'), 'n7').publish).toEqual([
      '$JS.API.CONSUMER.INFO.FLEET_WORK.node-n7',
      '$JS.API.CONSUMER.MSG.NEXT.FLEET_WORK.node-n7',
      '$JS.ACK.FLEET_WORK.node-n7.>',
      'fleet.status.n7',
      'fleet.hb.n7',
      'fleet.out.n7.>',
      'fleet.chk.n7.>',
    ]);
  });

  it('subscribe only to its own inbox and its control subject', () => {
    expect(nodePermissions(topology('fleet'), 'n7').subscribe).toEqual(['_INBOX_fleet_n7.>', 'fleet.ctl.n7']);
  });

  it('answer control requests sent to it', () => {
    expect(nodePermissions(topology('fleet'), 'n7').allowResponses).toBe(true);
  });
});
