import { decode, encode } from './codec.js';
import { PROTOCOL_VERSION } from './messages.js';

const bytes = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

describe('control actions: reset and logs', () => {
  it('decodes every node action (the union builds once per action)', () => {
    for (const action of ['ping', 'stop-all', 'reset', 'emergency-cleanup']) {
      const d = decode('control', bytes({ v: PROTOCOL_VERSION, action }));
      expect(d.ok && d.value.action).toBe(action);
    }
  });

  it('decodes a logs request and refuses bad bounds or unknown fields', () => {
    const ok = decode('control', bytes({ v: 1, action: 'logs', runId: 'r-1', taskId: 't', attempt: 2, bytes: 1024 }));
    expect(ok.ok).toBe(true);
    expect(decode('control', bytes({ v: 1, action: 'logs', runId: 'r-1', taskId: 't', bytes: 0 })).ok).toBe(false);
    expect(decode('control', bytes({ v: 1, action: 'logs', runId: 'r-1', taskId: 't', path: '/etc/passwd' })).ok).toBe(false);
    expect(decode('control', bytes({ v: 1, action: 'reset', everything: true })).ok).toBe(false);
  });

  it('round-trips a reply carrying log data', () => {
    const reply = { v: PROTOCOL_VERSION, ok: true, message: 'x.log (attempt 1)', data: 'line\n'.repeat(1000) };
    const d = decode('controlReply', encode('controlReply', reply));
    expect(d.ok && d.value).toEqual(reply);
  });
});
