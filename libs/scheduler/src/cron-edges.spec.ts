import { ValidationError } from '@shoal/protocol';
import { decideFire, nextFire, nextFires } from './cron.js';

const t = (iso: string) => Date.parse(iso);

describe('decideFire at its edges', () => {
  const schedule = { expression: '*/30 * * * *' };
  const since = t('2025-01-01T00:00:00Z');

  it('is due at exactly the fire time, saying so without a note of missed fires', () => {
    expect(decideFire({ schedule, since, now: t('2025-01-01T00:30:00Z') })).toEqual({
      due: true,
      fireAt: t('2025-01-01T00:30:00Z'),
      missed: 0,
      nextAt: t('2025-01-01T01:00:00Z'),
      reason: 'due at 2025-01-01T00:30:00.000Z',
    });
  });

  it('counts a fire time equal to now among the missed ones and fires that latest one', () => {
    const d = decideFire({ schedule, since, lastFiredAt: t('2025-01-01T00:30:00Z'), now: t('2025-01-01T02:00:00Z'), maxLatenessMs: 60_000 });
    expect(d).toMatchObject({ due: true, fireAt: t('2025-01-01T02:00:00Z'), missed: 2 });
  });

  it('fires the latest missed fire when it is exactly the max lateness late; skips it one millisecond later', () => {
    const base = { schedule, since, lastFiredAt: t('2025-01-01T00:30:00Z'), maxLatenessMs: 600_000 };
    expect(decideFire({ ...base, now: t('2025-01-01T02:10:00Z') })).toMatchObject({ due: true, fireAt: t('2025-01-01T02:00:00Z') });
    expect(decideFire({ ...base, now: t('2025-01-01T02:10:00.001Z') })).toMatchObject({ due: false, skipTo: t('2025-01-01T02:00:00Z') });
  });

  it('allows one hour of lateness by default', () => {
    const base = { schedule: { expression: '0 */2 * * *' }, since, lastFiredAt: t('2025-01-01T00:00:00Z') };
    expect(decideFire({ ...base, now: t('2025-01-01T03:00:00Z') })).toMatchObject({ due: true, fireAt: t('2025-01-01T02:00:00Z'), missed: 0 });
    expect(decideFire({ ...base, now: t('2025-01-01T03:00:01Z') })).toEqual({
      due: false,
      skipTo: t('2025-01-01T02:00:00Z'),
      nextAt: t('2025-01-01T04:00:00Z'),
      reason: 'skipped 1 missed fire(s): latest is 3601 s late, over the max lateness',
    });
  });
});

describe('schedules that stop firing', () => {
  it('a date that never comes (30 February) never fires: no next fire, and decideFire says so', () => {
    const never = { expression: '0 0 30 2 *' };
    expect(nextFire(never, t('2025-01-01T00:00:00Z'))).toBeUndefined();
    expect(nextFires(never, t('2025-01-01T00:00:00Z'), 3)).toEqual([]);
    expect(decideFire({ schedule: never, since: 0, now: t('2025-06-01T00:00:00Z') })).toEqual({ due: false, reason: 'schedule never fires again' });
  });

  it('a one-off date fires once, with no next fire after it', () => {
    const once = { expression: '2025-01-01T10:00:00Z' };
    expect(decideFire({ schedule: once, since: 0, now: t('2025-01-01T10:05:00Z') })).toEqual({
      due: true,
      fireAt: t('2025-01-01T10:00:00Z'),
      missed: 0,
      reason: 'due at 2025-01-01T10:00:00.000Z',
    });
    expect(decideFire({ schedule: once, since: 0, now: t('2025-01-01T12:00:00Z'), maxLatenessMs: 60_000 })).toEqual({
      due: false,
      skipTo: t('2025-01-01T10:00:00Z'),
      reason: 'skipped 1 missed fire(s): latest is 7200 s late, over the max lateness',
    });
  });

  it('refuses an unparsable expression in decideFire too, keeping the parser error as cause', () => {
    try {
      decideFire({ schedule: { expression: 'every day' }, since: 0, now: 0 });
      throw new Error('expected a ValidationError');
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).issues[0]).toMatchObject({ path: 'schedule', message: expect.stringMatching(/^invalid cron expression "every day": ./) });
      expect((e as ValidationError).cause).toBeInstanceOf(Error);
    }
  });
});
