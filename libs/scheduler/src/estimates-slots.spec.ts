import { ValidationError } from '@shoal/protocol';
import { predictMakespan } from './estimates.js';

describe('predictMakespan: the slots it is given', () => {
  const items = [
    { id: 'a', durationMs: 1000, dependsOn: [] },
    { id: 'b', durationMs: 1000, dependsOn: [] },
  ];

  it('refuses fewer than one slot, NaN and -Infinity included (they are not "unlimited")', () => {
    for (const slots of [0, 0.5, -1, Number.NaN, -Infinity]) expect(() => predictMakespan(items, slots)).toThrow(ValidationError);
  });

  it('takes Infinity (the default) as unlimited slots, and one slot as one at a time', () => {
    expect(predictMakespan(items)).toBe(1000);
    expect(predictMakespan(items, Infinity)).toBe(1000);
    expect(predictMakespan(items, 1)).toBe(2000);
  });
});
