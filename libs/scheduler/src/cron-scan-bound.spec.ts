import { jest } from '@jest/globals';

/*
 * decideFire scans at most 10,000 missed fires. With croner a step costs about half a millisecond
 * (every step converts through the schedule's timezone), so 10,000 real steps take 5-15 s. Here
 * croner is replaced by a fake that fires every whole second and costs nothing, so the bound itself
 * is tested in milliseconds; the real croner is tested in cron.spec.ts and cron-edges.spec.ts.
 *
 * A module mock makes jest look every import up in its haste map: while Stryker sandboxes (copies
 * of the repository's packages) sit under reports/, add `--modulePathIgnorePatterns
 * '<rootDir>/reports/' '<rootDir>/.*\/dist/' --` to the jest command line, or jest reports a
 * "haste module naming collision" for @shoal/protocol. Stryker's own sandboxes leave reports/ out.
 */
const made: { expression: string; options: Record<string, unknown> }[] = [];
class EverySecond {
  constructor(expression: string, options: Record<string, unknown>) {
    made.push({ expression, options });
  }
  nextRun(after: Date): Date {
    return new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  }
  stop(): void {}
}
jest.unstable_mockModule('croner', () => ({ Cron: EverySecond }));
const { decideFire } = await import('./cron.js');

const SCAN = 10_000;
const fire = (k: number) => (k + 1) * 1000; // the k-th fire time (from 0) after since = 0

describe('decideFire scans at most 10,000 missed fires', () => {
  const schedule = { expression: '* * * * * *' };

  it('coalesces 10,001 missed fires (the first and 10,000 scanned) into the latest one', () => {
    expect(decideFire({ schedule, since: 0, now: fire(SCAN) })).toStrictEqual({
      due: true,
      fireAt: fire(SCAN),
      missed: SCAN,
      nextAt: fire(SCAN + 1),
      reason: `due at ${new Date(fire(SCAN)).toISOString()}; ${SCAN} earlier missed fire(s) coalesced`,
    });
  });

  it('skips to the last scanned fire when one more is already due, even if it is due exactly now', () => {
    expect(decideFire({ schedule, since: 0, now: fire(SCAN + 1) })).toStrictEqual({
      due: false,
      skipTo: fire(SCAN),
      nextAt: fire(SCAN + 1),
      reason: `skipped ${SCAN + 1} missed fire(s): more than ${SCAN} missed fires`,
    });
  });

  it('skips far more missed fires the same way, within the lateness allowed', () => {
    const d = decideFire({ schedule, since: 0, now: fire(3 * SCAN), maxLatenessMs: Number.MAX_SAFE_INTEGER });
    expect(d).toStrictEqual({
      due: false,
      skipTo: fire(SCAN),
      nextAt: fire(SCAN + 1),
      reason: `skipped ${SCAN + 1} missed fire(s): more than ${SCAN} missed fires`,
    });
  });

  it('gives croner the UTC zone when the schedule names none, and the named zone otherwise', () => {
    made.length = 0;
    decideFire({ schedule, since: 0, now: 0 });
    decideFire({ schedule: { ...schedule, timezone: 'Europe/Paris' }, since: 0, now: 0 });
    expect(made.map((m) => m.options.timezone)).toEqual(['UTC', 'Europe/Paris']);
  });
});
