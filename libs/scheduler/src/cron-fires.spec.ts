import { decideFire, nextFire } from './cron.js';

const t = (iso: string) => Date.parse(iso);

describe('a fire decision without a next fire', () => {
  const once = { expression: '2025-01-01T10:00:00Z' };

  it('has no nextAt key at all when due (not a key holding undefined)', () => {
    const d = decideFire({ schedule: once, since: 0, now: t('2025-01-01T10:05:00Z') });
    expect(d).toStrictEqual({ due: true, fireAt: t('2025-01-01T10:00:00Z'), missed: 0, reason: 'due at 2025-01-01T10:00:00.000Z' });
    expect(Object.keys(d)).not.toContain('nextAt');
  });

  it('has no nextAt key at all when skipped as too late', () => {
    const d = decideFire({ schedule: once, since: 0, now: t('2025-01-01T12:00:00Z'), maxLatenessMs: 60_000 });
    expect(d).toStrictEqual({
      due: false,
      skipTo: t('2025-01-01T10:00:00Z'),
      reason: 'skipped 1 missed fire(s): latest is 7200 s late, over the max lateness',
    });
    expect(Object.keys(d)).not.toContain('nextAt');
  });
});

describe('a schedule without a timezone', () => {
  // On a UTC host the zone cannot be told from UTC: run with e.g. TZ=America/New_York to see the
  // difference (jest's process.env is a copy, so a test cannot change the host's zone itself).
  it('is read in UTC, whatever the host zone', () => {
    const daily = { expression: '0 9 * * *' };
    expect(nextFire(daily, t('2025-01-01T00:00:00Z'))).toBe(t('2025-01-01T09:00:00Z'));
    expect(decideFire({ schedule: daily, since: t('2025-01-01T00:00:00Z'), now: t('2025-01-01T09:00:00Z') })).toMatchObject({
      due: true,
      fireAt: t('2025-01-01T09:00:00Z'),
    });
  });
});
