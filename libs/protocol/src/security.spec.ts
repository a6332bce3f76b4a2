import { EnrolRequest, Scope, coordinatorPermissions, nodeInboxPrefix, nodePermissions, scopeAllows } from './security.js';
import { topology } from './subjects.js';

describe('scopes', () => {
  it('are ordered read < operate < admin', () => {
    const table = Scope.options.flatMap((held) => Scope.options.map((needed) => `${held}>=${needed}:${scopeAllows(held, needed)}`));
    expect(table).toEqual([
      'read>=read:true',
      'read>=operate:false',
      'read>=admin:false',
      'operate>=read:true',
      'operate>=operate:true',
      'operate>=admin:false',
      'admin>=read:true',
      'admin>=operate:true',
      'admin>=admin:true',
    ]);
  });
});

describe('node permissions', () => {
  // built inside each test, not at describe time: Stryker then judges security.ts and subjects.ts per test
  const topo = () => topology('fleet');
  const nodeA = () => nodePermissions(topo(), 'node-a');

  it('name only the node itself: its consumer, its status/heartbeat/output/check-in subjects, its inbox and control subject', () => {
    const a = nodeA();
    expect(a.publish).toEqual([
      '$JS.API.CONSUMER.INFO.FLEET_WORK.node-node-a',
      '$JS.API.CONSUMER.MSG.NEXT.FLEET_WORK.node-node-a',
      '$JS.ACK.FLEET_WORK.node-node-a.>',
      'fleet.status.node-a',
      'fleet.hb.node-a',
      'fleet.out.node-a.>',
      'fleet.chk.node-a.>',
    ]);
    expect(a.subscribe).toEqual(['_INBOX_fleet_node-a.>', 'fleet.ctl.node-a']);
    expect(a.allowResponses).toBe(true);
  });

  it('never allow publishing work, touching streams or KV, or wildcards beyond the node', () => {
    const a = nodeA();
    for (const s of [...a.publish, ...a.subscribe]) {
      expect(s).not.toMatch(/\.work\.|STREAM|\$KV|^_INBOX\.|^>$/);
      expect(s.includes('node-a')).toBe(true);
    }
  });

  it('give two nodes disjoint rights', () => {
    const a = nodeA();
    const b = nodePermissions(topo(), 'node-b');
    expect(a.publish.filter((s) => b.publish.includes(s))).toEqual([]);
    expect(a.subscribe.filter((s) => b.subscribe.includes(s))).toEqual([]);
  });

  it('inbox prefixes are distinct per namespace and node', () => {
    expect(nodeInboxPrefix(topology('a-b'), 'c')).toBe('_INBOX_a_b_c');
    expect(nodeInboxPrefix(topology('a'), 'b-c')).toBe('_INBOX_a_b-c');
  });

  it('the coordinator may publish work in its own namespace only', () => {
    const c = coordinatorPermissions(topo());
    expect(c.publish).toContain('fleet.>');
    expect(c.publish.some((s) => s.startsWith('other.'))).toBe(false);
  });
});

describe('enrol request', () => {
  const ok = { v: 1, token: 'shoaljoin_abcdefgh', nodeId: 'node-a', publicKey: `U${'A'.repeat(55)}` };
  it('accepts a public key and refuses a seed or junk in its place, naming the field', () => {
    expect(EnrolRequest.safeParse(ok).success).toBe(true);
    const seed = EnrolRequest.safeParse({ ...ok, publicKey: `SU${'A'.repeat(56)}` });
    expect(seed.success).toBe(false);
    expect(seed.error!.issues[0]!.path).toEqual(['publicKey']);
    expect(EnrolRequest.safeParse({ ...ok, nodeId: 'Node.A' }).success).toBe(false);
    expect(EnrolRequest.safeParse({ ...ok, extra: 1 }).success).toBe(false);
  });
});
