import { HostBand } from '../band/index.js';

describe('governor actions counted for metrics (HostBand.actions)', () => {
  it('counts a throttle and the admission closing over the band, the restore and reopening under it', async () => {
    let cpu = 95;
    const set: number[] = [];
    const band = new HostBand(
      { low: 40, high: 60, sustainSamples: 1, floorPercent: 10 },
      { sample: () => cpu, targets: () => [{ key: 'r/a', priority: 0, budgetCpu: 100, startedAt: 1, setCpu: async (p) => void set.push(p) }], log: () => undefined, now: () => 1_000 },
    );
    await band.tick();
    expect(band.actions).toEqual({ throttle: 1, restore: 0, 'admission-closed': 1, 'admission-opened': 0 });
    cpu = 10;
    await band.tick();
    expect(band.actions).toEqual({ throttle: 1, restore: 1, 'admission-closed': 1, 'admission-opened': 1 });
    expect(set).toEqual([10, 100]);
  });
});
