import { durationMs, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    [' 5s ', 5_000],
    [30, 30_000],
    [0.25, 250],
    [1.0004, 1_000],
  ])('parses %p as %i ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', 's', '5', '5d', '1.5s', '-1s', '0s', '0ms', '5 s', '5S', '1e3ms', 0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %p', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('durationMs schema', () => {
  const schema = durationMs({ min: 1000, max: 3_600_000 });

  it('decodes to milliseconds within bounds', () => {
    expect(schema.parse('1s')).toBe(1000);
    expect(schema.parse('1h')).toBe(3_600_000);
    expect(schema.parse(90)).toBe(90_000);
  });

  it('explains malformed and out-of-range values', () => {
    const bad = schema.safeParse('soon');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/positive duration such as 30 \(seconds\), "90s"/);
    expect(schema.safeParse('999ms').error?.issues[0]?.message).toBe('must be between 1s and 1h');
    expect(schema.safeParse('61m').error?.issues[0]?.message).toBe('must be between 1s and 1h');
    expect(durationMs({ min: 1500, max: 90_000 }).safeParse('1s').error?.issues[0]?.message).toBe('must be between 1500ms and 90s');
    expect(durationMs({ min: 60_000, max: 120_000 }).safeParse('1s').error?.issues[0]?.message).toBe('must be between 1m and 2m');
  });

  it('refuses non-duration types', () => {
    expect(schema.safeParse(true).success).toBe(false);
    expect(schema.safeParse(null).success).toBe(false);
    expect(schema.safeParse(['1s']).success).toBe(false);
  });
});
