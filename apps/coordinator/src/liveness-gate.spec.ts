import { LivenessGate, gateTiming } from './liveness-gate';

describe('LivenessGate: outages are not deaths', () => {
  const timing = gateTiming(10_000);

  it('derives pulse and probe timeout from the node TTL, within bounds', () => {
    expect(gateTiming(10_000)).toEqual({ pulseMs: 1000, probeTimeoutMs: 2000 });
    expect(gateTiming(2_000)).toEqual({ pulseMs: 500, probeTimeoutMs: 500 });
    expect(gateTiming(400)).toEqual({ pulseMs: 250, probeTimeoutMs: 250 });
  });

  it('judges nobody before the first good probe, then counts silence from it', () => {
    const gate = new LivenessGate(timing);
    gate.tick(0);
    expect(gate.judgeFrom(0)).toBeUndefined();
    expect(gate.suspendedBecause(0)).toBe('no bus probe yet');
    gate.probed(true, 500);
    expect(gate.judgeFrom(1000)).toBe(500);
    gate.probed(true, 1500);
    expect(gate.judgeFrom(2000)).toBe(500);
    expect(gate.suspendedBecause(2000)).toBeUndefined();
  });

  it('a failed probe suspends judging; after the bus answers again silence counts from then', () => {
    const gate = new LivenessGate(timing);
    gate.probed(true, 0);
    gate.probed(false, 3000, 'no answer from the bus within 2000 ms');
    expect(gate.judgeFrom(3000)).toBeUndefined();
    expect(gate.suspendedBecause(3000)).toBe('no answer from the bus within 2000 ms');
    gate.probed(true, 40_000);
    expect(gate.judgeFrom(40_100)).toBe(40_000);
  });

  it('an overdue probe (the last good one is too old) suspends judging without a failure', () => {
    const gate = new LivenessGate(timing);
    gate.probed(true, 0);
    expect(gate.judgeFrom(4000)).toBe(0);
    expect(gate.judgeFrom(4001)).toBeUndefined();
    expect(gate.suspendedBecause(4001)).toBe('bus probe overdue');
  });

  it('a sweep that comes late means the coordinator stalled: judging restarts from the next good probe', () => {
    const gate = new LivenessGate(timing);
    gate.tick(0);
    gate.probed(true, 0);
    gate.tick(1000);
    expect(gate.judgeFrom(1000)).toBe(0);
    gate.tick(16_000);
    expect(gate.suspendedBecause(16_000)).toBe('coordinator stalled 15000 ms');
    gate.probed(true, 16_010);
    expect(gate.judgeFrom(16_010)).toBe(16_010);
  });

  it('a dropped connection suspends judging at once', () => {
    const gate = new LivenessGate(timing);
    gate.probed(true, 0);
    gate.impaired('disconnected from NATS');
    expect(gate.judgeFrom(100)).toBeUndefined();
  });
});
