import { LoadIndex } from './load-index.js';

describe('LoadIndex: a node at exactly full load', () => {
  it('is kept in the fullest level, where a walk from either end reaches it', () => {
    const idx = new LoadIndex(2);
    idx.put(0, 1);
    idx.put(1, 0.99);
    expect(idx.find(false, () => true)).toBe(0);
    const order: number[] = [];
    idx.find(true, (i) => (order.push(i), false));
    expect(order).toEqual([1, 0]);
  });
});
