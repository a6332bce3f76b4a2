import { percentileOfSorted, ratio } from './percentile.js';

describe('percentileOfSorted: p outside 0..100 and p = 0', () => {
  const values = [10, 20, 30, 40];

  it('reads p = 0 (and below) as the smallest value', () => {
    expect(percentileOfSorted(values, 0)).toBe(10);
    expect(percentileOfSorted(values, -20)).toBe(10);
  });

  it('reads p above 100 as the greatest value', () => {
    expect(percentileOfSorted(values, 100)).toBe(40);
    expect(percentileOfSorted(values, 250)).toBe(40);
  });

  it('takes the nearest rank: 26% of four values is the second', () => {
    expect(percentileOfSorted(values, 25)).toBe(10);
    expect(percentileOfSorted(values, 26)).toBe(20);
  });
});

describe('ratio', () => {
  it('is part / whole within 0..1, and undefined for a whole of 0', () => {
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(0, 0)).toBeUndefined();
    expect(ratio(5, 4)).toBe(1);
    expect(ratio(-1, 4)).toBe(0);
    expect(ratio(1, -4)).toBeUndefined();
  });
});
