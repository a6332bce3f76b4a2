import { toNodeId, teamSession } from './ids.js';
import { SUBJECT_SCHEMAS, topology } from './subjects.js';

describe('topology', () => {
  it('derives every name from the default namespace', () => {
    const t = topology();
    expect(t.ns).toBe('shoal');
    expect(t.work('node-a')).toBe('shoal.work.node-a');
    expect(t.status('node-a')).toBe('shoal.status.node-a');
    expect(t.heartbeat('node-a')).toBe('shoal.hb.node-a');
    expect(t.control('node-a')).toBe('shoal.ctl.node-a');
    expect(t.output('n1', 'run-1', 'build')).toBe('shoal.out.n1.run-1.build');
    expect(t.events('run-1')).toBe('shoal.evt.run-1');
    expect(t.scale).toBe('shoal.scale');
    expect([t.allWork, t.allStatus, t.allHeartbeats, t.allOutput]).toEqual(['shoal.work.>', 'shoal.status.>', 'shoal.hb.*', 'shoal.out.>']);
    expect([t.workStream, t.statusStream]).toEqual(['SHOAL_WORK', 'SHOAL_STATUS']);
    expect([t.runsBucket, t.nodesBucket, t.cacheBucket]).toEqual(['shoal_runs', 'shoal_nodes', 'shoal_cache']);
    expect(t.nodeConsumer('node-a')).toBe('node-node-a');
    expect(t.coordinatorConsumer).toBe('coordinator');
  });

  it('keeps namespaces apart and makes stream/bucket names legal (no dashes)', () => {
    const a = topology('test-a1');
    const b = topology('test-b2');
    expect(a.work('n')).toBe('test-a1.work.n');
    expect(a.work('n')).not.toBe(b.work('n'));
    expect(a.workStream).toBe('TEST_A1_WORK');
    expect(a.runsBucket).toBe('test_a1_runs');
    for (const name of [a.workStream, a.statusStream, a.runsBucket, a.nodesBucket, a.cacheBucket]) expect(name).toMatch(/^[A-Za-z0-9_]+$/);
  });

  it('node wildcards match exactly one node token', () => {
    const t = topology();
    const tokens = t.work('node-a').split('.');
    expect(tokens).toHaveLength(3);
    expect(t.heartbeat('node-a').split('.')).toHaveLength(t.allHeartbeats.split('.').length);
  });

  it.each(['', 'Shoal', '1abc', 'a.b', 'a*', 'a>', 'a b', 'x'.repeat(32)])('refuses the namespace %p', (ns) => {
    expect(() => topology(ns)).toThrow(/must match/);
  });

  it('has a schema for every subject kind', () => {
    expect(Object.keys(SUBJECT_SCHEMAS).sort()).toEqual(['checkin', 'control', 'controlReply', 'events', 'heartbeat', 'output', 'scale', 'status', 'work']);
  });
});

describe('ids', () => {
  it('names the team session Task-<team>', () => {
    expect(teamSession('frontend')).toBe('Task-frontend');
  });

  it.each([
    ['Build-Box.local', 'build-box-local'],
    ['ip-10-0-0-1.ec2.internal', 'ip-10-0-0-1-ec2-internal'],
    ['--weird__HOST', 'weird-host'],
    ['...', 'node'],
    ['', 'node'],
    ['a'.repeat(80), 'a'.repeat(63)],
  ])('turns the host name %p into the node id %p', (host, id) => {
    expect(toNodeId(host)).toBe(id);
    expect(toNodeId(host)).toMatch(/^[a-z0-9][a-z0-9-]{0,62}$/);
  });
});
