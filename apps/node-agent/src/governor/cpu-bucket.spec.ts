import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CpuBucket } from './cpu-bucket.js';

/** Simulates a tree that burns `cores` while running, sampled every `sampleMs`; returns its CPU share of one core. */
function simulate(cpuPercent: number, cores: number, sampleMs: number, durationMs: number): number {
  const bucket = new CpuBucket(cpuPercent, 0);
  let running = true;
  let used = 0;
  for (let t = sampleMs; t <= durationMs; t += sampleMs) {
    const burnt: number = running ? sampleMs * cores : 0;
    used += burnt;
    running = bucket.step(t, burnt) === 'run';
  }
  return (used / durationMs) * 100;
}

describe('CpuBucket', () => {
  it('holds a single busy loop to its budget', () => {
    expect(simulate(40, 1, 100, 60_000)).toBeCloseTo(40, 0);
    expect(simulate(20, 1, 100, 60_000)).toBeCloseTo(20, 0);
  });

  it('holds a multi-core tree to the same total', () => {
    expect(simulate(150, 4, 50, 60_000)).toBeCloseTo(150, -1);
  });

  it('never lets the long-run share exceed the budget by more than one sample', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 100 }), fc.integer({ min: 10, max: 200 }), (pct, sampleMs) => {
        const durationMs = 200 * sampleMs;
        const share = simulate(pct, 1, sampleMs, durationMs);
        expect(share).toBeLessThanOrEqual(pct + (100 * sampleMs) / durationMs + 1e-9);
      }),
    );
  });

  it('caps the allowance saved while idle', () => {
    const bucket = new CpuBucket(50, 0, 100);
    expect(bucket.step(60_000, 0)).toBe('run');
    expect(bucket.step(60_100, 0)).toBe('run');
    expect(bucket.balanceMs).toBe(150);
    expect(bucket.step(60_200, 300)).toBe('stop');
  });

  it('follows a new budget', () => {
    const bucket = new CpuBucket(100, 0);
    bucket.setCpuPercent(10);
    expect(bucket.step(100, 50)).toBe('stop');
  });
});
