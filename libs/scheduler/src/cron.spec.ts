import { decideFire, nextFire, nextFires, validateSchedule } from './cron.js';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('nextFire', () => {
  it('is strictly after the given time', () => {
    const s = { expression: '*/30 * * * *' };
    expect(iso(nextFire(s, t('2025-01-01T10:00:00Z'))!)).toBe('2025-01-01T10:30:00.000Z');
    expect(iso(nextFire(s, t('2025-01-01T10:00:00.001Z'))!)).toBe('2025-01-01T10:30:00.000Z');
  });

  it('handles month ends: the 31st skips short months, L is the last day (leap years too)', () => {
    expect(nextFires({ expression: '0 0 31 * *' }, t('2025-01-31T00:00:00Z'), 3).map(iso)).toEqual([
      '2025-03-31T00:00:00.000Z',
      '2025-05-31T00:00:00.000Z',
      '2025-07-31T00:00:00.000Z',
    ]);
    expect(nextFires({ expression: '0 0 L * *' }, t('2024-01-31T12:00:00Z'), 2).map(iso)).toEqual(['2024-02-29T00:00:00.000Z', '2024-03-31T00:00:00.000Z']);
    expect(iso(nextFire({ expression: '0 0 L * *' }, t('2025-02-01T00:00:00Z'))!)).toBe('2025-02-28T00:00:00.000Z');
  });

  it('reads the expression in the given timezone across DST changes', () => {
    const berlin = { expression: '30 2 * * *', timezone: 'Europe/Berlin' };
    // 2025-03-30: 02:30 does not exist in Berlin (clocks jump 02:00 -> 03:00): fires once, at 03:30 CEST
    expect(nextFires(berlin, t('2025-03-29T12:00:00Z'), 2).map(iso)).toEqual(['2025-03-30T01:30:00.000Z', '2025-03-31T00:30:00.000Z']);
    // 2025-10-26: 02:30 happens twice (CEST, then CET): fires once only
    const fall = nextFires(berlin, t('2025-10-25T12:00:00Z'), 2).map(iso);
    expect(fall).toEqual(['2025-10-26T01:30:00.000Z', '2025-10-27T01:30:00.000Z']);
    const ny = { expression: '0 9 * * *', timezone: 'America/New_York' };
    expect(nextFires(ny, t('2025-03-08T00:00:00Z'), 2).map(iso)).toEqual(['2025-03-08T14:00:00.000Z', '2025-03-09T13:00:00.000Z']);
  });

  it('never repeats or goes back in time through a fall-back hour', () => {
    const fires = nextFires({ expression: '*/15 * * * *', timezone: 'Europe/Berlin' }, t('2025-10-25T23:00:00Z'), 20);
    for (let i = 1; i < fires.length; i++) expect(fires[i]!).toBeGreaterThan(fires[i - 1]!);
  });

  it('rejects invalid expressions with the reason', () => {
    expect(() => validateSchedule({ expression: '61 * * * *' })).toThrow(/invalid cron expression "61 \* \* \* \*".*minute/);
    expect(() => validateSchedule({ expression: '* * * * *', timezone: 'Mars/Olympus' })).toThrow(/invalid cron expression/);
    expect(() => validateSchedule({ expression: '0 9 * * 1-5', timezone: 'Europe/Paris' })).not.toThrow();
  });
});

describe('decideFire', () => {
  const schedule = { expression: '*/30 * * * *' };
  const since = t('2025-01-01T00:00:00Z');

  it('is not due before the first fire time, then due exactly once per fire time', () => {
    expect(decideFire({ schedule, since, now: t('2025-01-01T00:29:59Z') })).toEqual({ due: false, nextAt: t('2025-01-01T00:30:00Z'), reason: 'not due yet' });
    const d = decideFire({ schedule, since, now: t('2025-01-01T00:30:02Z') });
    expect(d).toMatchObject({ due: true, fireAt: t('2025-01-01T00:30:00Z'), missed: 0, nextAt: t('2025-01-01T01:00:00Z') });
    // the caller persisted fireAt; a restarted coordinator reading it back does not fire again
    const afterRestart = decideFire({ schedule, since, now: t('2025-01-01T00:30:05Z'), lastFiredAt: t('2025-01-01T00:30:00Z') });
    expect(afterRestart).toEqual({ due: false, nextAt: t('2025-01-01T01:00:00Z'), reason: 'not due yet' });
  });

  it('does not fire at the instant it was registered', () => {
    expect(decideFire({ schedule, since, now: since })).toMatchObject({ due: false, nextAt: t('2025-01-01T00:30:00Z') });
  });

  it('coalesces fires missed while down into one', () => {
    const d = decideFire({ schedule, since, lastFiredAt: t('2025-01-01T00:30:00Z'), now: t('2025-01-01T02:10:00Z') });
    expect(d).toEqual({
      due: true,
      fireAt: t('2025-01-01T02:00:00Z'),
      missed: 2,
      nextAt: t('2025-01-01T02:30:00Z'),
      reason: 'due at 2025-01-01T02:00:00.000Z; 2 earlier missed fire(s) coalesced',
    });
  });

  it('skips missed fires older than the max lateness', () => {
    const d = decideFire({ schedule, since, lastFiredAt: t('2025-01-01T00:30:00Z'), now: t('2025-01-01T02:10:00Z'), maxLatenessMs: 60_000 });
    expect(d).toEqual({
      due: false,
      skipTo: t('2025-01-01T02:00:00Z'),
      nextAt: t('2025-01-01T02:30:00Z'),
      reason: 'skipped 3 missed fire(s): latest is 600 s late, over the max lateness',
    });
  });

  it('fires once around a DST fall-back in the schedule timezone', () => {
    const daily = { expression: '30 2 * * *', timezone: 'Europe/Berlin' };
    const s2 = t('2025-10-25T12:00:00Z');
    const first = decideFire({ schedule: daily, since: s2, now: t('2025-10-26T01:31:00Z') });
    expect(first).toMatchObject({ due: true, fireAt: t('2025-10-26T01:30:00Z'), missed: 0 });
    expect(decideFire({ schedule: daily, since: s2, now: t('2025-10-26T23:00:00Z'), lastFiredAt: t('2025-10-26T01:30:00Z') }).due).toBe(false);
  });
});
