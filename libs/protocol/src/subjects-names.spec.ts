import { topology } from './subjects.js';

// Names subjects.spec.ts does not check. Each topology is built inside its test: a topology
// built at describe time (as security.spec.ts does) runs its lines outside any test.

describe('topology: output and check-in subjects', () => {
  it('gives each node one output wildcard covering its tasks only', () => {
    const t = topology('fleet');
    expect(t.nodeOutput('n1')).toBe('fleet.out.n1.>');
    expect(t.output('n1', 'r1', 'build').startsWith(t.nodeOutput('n1').slice(0, -1))).toBe(true);
  });

  it('names the check-in subject of one task after its node, run and task', () => {
    expect(topology('fleet').checkin('n1', 'run-1', 'build')).toBe('fleet.chk.n1.run-1.build');
  });

  it('gives each node one check-in wildcard, and the coordinator one for all nodes', () => {
    const t = topology('fleet');
    expect(t.nodeCheckins('n1')).toBe('fleet.chk.n1.>');
    expect(t.allCheckins).toBe('fleet.chk.>');
  });
});

describe('topology: leader lease and undeliverable work', () => {
  it('names the leader bucket after the namespace, with legal characters', () => {
    expect(topology('test-a1').leaderBucket).toBe('test_a1_leader');
  });

  it('listens for max-deliveries advisories of the namespace work stream only', () => {
    expect(topology('test-a1').workMaxDeliveries).toBe('$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.TEST_A1_WORK.*');
  });

  it('keeps those advisories in the namespace UNDELIVERABLE stream', () => {
    expect(topology('test-a1').undeliverableStream).toBe('TEST_A1_UNDELIVERABLE');
  });
});
