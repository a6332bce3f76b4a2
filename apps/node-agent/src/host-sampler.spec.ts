import type { CpuInfo } from 'node:os';
import { HostSampler } from './host-sampler.js';

const core = (busy: number, idle: number): CpuInfo => ({ model: 'x', speed: 1, times: { user: busy, nice: 0, sys: 0, irq: 0, idle } });

describe('HostSampler.cpuPercent', () => {
  it('is the busy share of all cores between two readings', () => {
    const readings = [
      [core(100, 900), core(100, 900)],
      [core(400, 1100), core(100, 1400)],
    ];
    const sampler = new HostSampler(() => readings.shift()!);
    expect(sampler.cpuPercent()).toBe(0);
    expect(sampler.cpuPercent()).toBe(30);
  });

  it('reads 100 when every core was busy and 0 when counters did not move', () => {
    const readings = [[core(0, 0)], [core(500, 0)], [core(500, 0)]];
    const sampler = new HostSampler(() => readings.shift()!);
    sampler.cpuPercent();
    expect(sampler.cpuPercent()).toBe(100);
    expect(sampler.cpuPercent()).toBe(0);
  });

  it('samples the real host within 0-100', async () => {
    const sampler = new HostSampler();
    await sampler.start(60_000);
    try {
      for (let i = 0; i < 2e6; i++) Math.sqrt(i);
      const pct = sampler.cpuPercent();
      expect(pct).toBeGreaterThanOrEqual(0);
      expect(pct).toBeLessThanOrEqual(100);
      expect(sampler.latest.memTotalMb).toBeGreaterThan(0);
      expect(sampler.latest.cores).toBeGreaterThan(0);
    } finally {
      sampler.stop();
    }
  });
});
