import { BinaryHeap } from './heap.js';
import { seededRandom } from '../resilience/seeded-random.js';

/** Seed of the generated inputs: fixed so a failure reproduces; printed in the describe name. */
const SEED = 20261129;

function drain<T>(h: BinaryHeap<T>): T[] {
  const out: T[] = [];
  for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
  return out;
}

describe(`BinaryHeap (generated inputs, seed ${SEED})`, () => {
  it('is empty at first: size 0, pop gives undefined', () => {
    const h = new BinaryHeap<number>((a, b) => a < b);
    expect(h.size).toBe(0);
    expect(h.pop()).toBeUndefined();
  });

  it('pops in the order of `before`, whatever the push order, and counts its items', () => {
    const random = seededRandom(SEED);
    for (let round = 0; round < 50; round++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 20));
      const h = new BinaryHeap<number>((a, b) => a < b);
      values.forEach((v, i) => {
        h.push(v);
        expect(h.size).toBe(i + 1);
      });
      expect(drain(h)).toEqual([...values].sort((a, b) => a - b));
      expect(h.size).toBe(0);
    }
  });

  it('keeps its order when pushes and pops interleave', () => {
    const random = seededRandom(SEED + 1);
    const h = new BinaryHeap<number>((a, b) => a > b);
    const model: number[] = [];
    for (let step = 0; step < 500; step++) {
      if (random() < 0.6) {
        const v = Math.floor(random() * 100);
        h.push(v);
        model.push(v);
      } else {
        model.sort((a, b) => b - a);
        expect(h.pop()).toBe(model.shift());
      }
    }
    expect(drain(h)).toEqual(model.sort((a, b) => b - a));
  });

  it('orders by a key of its items (the before function decides, not the values themselves)', () => {
    const h = new BinaryHeap<{ id: string; level: number }>((a, b) => a.level > b.level || (a.level === b.level && a.id < b.id));
    for (const [id, level] of [['c', 1], ['a', 3], ['d', 1], ['b', 3], ['e', 2]] as const) h.push({ id, level });
    expect(drain(h).map((x) => x.id)).toEqual(['a', 'b', 'e', 'c', 'd']);
  });
});
